using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace AuthTemplate.TemplateTests;

/// <summary>
/// The Docker files of each variant, checked as far as a machine without a Docker engine allows: the compose file is
/// validated by docker-compose, the Dockerfile is linted, and the image's behaviour is rehearsed by publishing exactly
/// as the Dockerfile does and running the result as an unprivileged user with the environment compose gives it.
/// </summary>
public sealed partial class DockerTests
{
    static readonly TimeSpan ToolTimeout = TimeSpan.FromMinutes(2);

    [Theory]
    [MemberData(nameof(Variants.WithoutDocker), MemberType = typeof(Variants))]
    public async Task Without_docker_there_is_no_docker_file_section_or_step(Variant variant)
    {
        var files = (await TemplateRun.Current.Generated(variant)).Files;

        Assert.DoesNotContain(files.Paths, path => path is "Dockerfile" or ".dockerignore" or "docker-compose.yml");
        Assert.DoesNotContain("docker", files.ReadText("README.md"), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("docker", files.ReadText(".github/workflows/ci.yml"), StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [MemberData(nameof(Variants.WithDocker), MemberType = typeof(Variants))]
    public async Task Compose_validates_and_refuses_to_start_without_its_secrets(Variant variant)
    {
        var files = (await TemplateRun.Current.Generated(variant)).Files;
        var directory = TemplateRun.Current.FreshDirectory("compose");
        Directory.CreateDirectory(directory);
        File.WriteAllBytes(Path.Combine(directory, "docker-compose.yml"), files.Files["docker-compose.yml"]);

        var withoutEnv = await DockerCompose(directory, "config", "-q");
        File.WriteAllText(Path.Combine(directory, ".env"), EnvFileFromExample(files.ReadText(".env.example"), new Dictionary<string, string>()));
        var withEnv = await DockerCompose(directory, "config", "-q");

        Assert.False(withoutEnv.Succeeded, withoutEnv.Describe($"[{variant.Scenario}] compose accepted a missing .env."));
        Assert.Contains("Set ", withoutEnv.Output);
        Assert.True(withEnv.Succeeded, withEnv.Describe($"[{variant.Scenario}] docker-compose config rejected the compose file."));
        var required = RequiredVariable().Matches(files.ReadText("docker-compose.yml")).Select(m => m.Groups["name"].Value).Distinct();
        var documented = EnvFileValues(files.ReadText(".env.example")).Keys;
        Assert.Empty(required.Except(documented));
    }

    [Theory]
    [MemberData(nameof(Variants.WithDocker), MemberType = typeof(Variants))]
    public async Task Dockerfile_lints_clean(Variant variant)
    {
        var generated = await TemplateRun.Current.Generated(variant);
        var directory = TemplateRun.Current.FreshDirectory("lint");
        Directory.CreateDirectory(directory);
        File.WriteAllBytes(Path.Combine(directory, "Dockerfile"), generated.Files.Files["Dockerfile"]);

        var lint = await Run("dockerfile-utils", ["lint", "Dockerfile"], directory);

        Assert.True(lint.Succeeded && lint.Output.Trim().Length == 0, lint.Describe($"[{variant.Scenario}] dockerfile-utils found problems."));
    }

    [Theory]
    [MemberData(nameof(Variants.WithDocker), MemberType = typeof(Variants))]
    public async Task The_image_is_multi_stage_non_root_and_bakes_in_no_secret(Variant variant)
    {
        var files = (await TemplateRun.Current.Generated(variant)).Files;
        var dockerfile = new Dockerfile(files.ReadText("Dockerfile"));
        var final = dockerfile.FinalStage;

        Assert.True(dockerfile.Stages.Count >= 2, "a build stage and a runtime stage");
        Assert.StartsWith("FROM mcr.microsoft.com/dotnet/aspnet:", final[0]);
        var user = Assert.Single(final, i => i.StartsWith("USER ", StringComparison.Ordinal))[5..].Trim();
        Assert.DoesNotMatch("^(root|0)(:|$)", user);
        Assert.All(final.Where(i => i.StartsWith("EXPOSE ", StringComparison.Ordinal)).SelectMany(i => i[7..].Split(' ')),
            port => Assert.True(int.Parse(port.Split('/')[0], System.Globalization.CultureInfo.InvariantCulture) >= 1024, $"EXPOSE {port}"));
        Assert.DoesNotContain(dockerfile.HealthCheck, part => part is "curl" or "wget");
        Assert.DoesNotContain(dockerfile.Instructions, i => SecretLooking().IsMatch(i) && (i.StartsWith("ENV ", StringComparison.Ordinal) || i.StartsWith("ARG ", StringComparison.Ordinal)));
        Assert.DoesNotContain(dockerfile.Instructions, i => i.StartsWith("COPY", StringComparison.Ordinal) && i.Contains(".env", StringComparison.Ordinal));
        var ignored = files.ReadText(".dockerignore").Split('\n').Select(line => line.Trim()).ToHashSet();
        foreach (var entry in new[] { "**/bin/", "**/obj/", "tests/", ".git/", ".env" })
            Assert.Contains(entry, ignored);
    }

    [Theory]
    [MemberData(nameof(Variants.WithDocker), MemberType = typeof(Variants))]
    public async Task The_rehearsed_image_migrates_serves_and_reports_healthy_then_unhealthy_without_postgres(Variant variant)
    {
        var generated = await TemplateRun.Current.Generated(variant);
        await TemplateRun.Current.InPipelineSlotAsync($"{variant.Scenario}: image rehearsal", () => RehearseAsync(generated));
    }

    static async Task<bool> RehearseAsync(GeneratedVariant generated)
    {
        var scenario = generated.Variant.Scenario;
        var root = TemplateRun.Current.FreshDirectory("image");
        var source = Path.Combine(root, "src");
        generated.Files.WriteTo(source);
        var dockerfile = new Dockerfile(generated.Files.ReadText("Dockerfile"));

        // The build stage, as the Dockerfile runs it: the build context is the solution folder, /app the output, and
        // TARGETARCH what buildx would set for an image of this machine's architecture.
        var app = Path.Combine(root, "app");
        foreach (var command in dockerfile.RunCommands)
        {
            var words = command.Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .Select(word => word switch { "/app" => app, "$TARGETARCH" => Dockerfile.TargetArchOfThisMachine, _ => word })
                .ToArray();
            Assert.Equal("dotnet", words[0]);
            var step = await CommandRunner.RunDotnetAsync(words[1..], source, TimeSpan.FromMinutes(10));
            Assert.True(step.Succeeded, step.Describe($"[{scenario}] RUN {command} failed."));
        }

        // Published for the image's architecture, the app is ReadyToRun: its start-up runs precompiled code.
        var entryAssembly = Path.Combine(app, dockerfile.Entrypoint[1]);
        using (var image = new System.Reflection.PortableExecutable.PEReader(File.OpenRead(entryAssembly)))
        {
            Assert.True(image.PEHeaders.CorHeader?.ManagedNativeHeaderDirectory.Size > 0, $"[{scenario}] {dockerfile.Entrypoint[1]} is not ReadyToRun.");
        }

        // The database compose would start, emulated on a throwaway server: its user and database, from the compose file.
        var postgres = Path.Combine(root, "postgres");
        var port = FreePort();
        var started = await Run("bash", [Path.Combine(TemplateRepository.Root, "scripts", "throwaway-postgres.sh"), "start", postgres, port.ToString(System.Globalization.CultureInfo.InvariantCulture)], root);
        Assert.True(started.Succeeded, started.Describe($"[{scenario}] Could not start a throwaway PostgreSQL."));
        var serverPassword = Regex.Match(started.StandardOutput, "Password=([^;\\s]+)").Groups[1].Value;
        Process? server = null;
        try
        {
            var secrets = new Dictionary<string, string>
            {
                ["POSTGRES_PASSWORD"] = "pw-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(12)),
                ["ADMIN_PASSWORD"] = "Rehearsal-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8)),
            };
            var composeDirectory = Path.Combine(root, "compose");
            Directory.CreateDirectory(composeDirectory);
            File.WriteAllBytes(Path.Combine(composeDirectory, "docker-compose.yml"), generated.Files.Files["docker-compose.yml"]);
            File.WriteAllText(Path.Combine(composeDirectory, ".env"), EnvFileFromExample(generated.Files.ReadText(".env.example"), secrets));
            var resolved = await DockerCompose(composeDirectory, "config");
            Assert.True(resolved.Succeeded, resolved.Describe($"[{scenario}] docker-compose config failed."));
            // Compose secrets, as compose would mount them: a key file where .env points, read from its own path
            // instead of /run/secrets/<name>.
            var mountedSecrets = ResolvedCompose.Secrets(resolved.StandardOutput);
            Assert.Contains("jwt_signing_key", mountedSecrets.Keys);
            foreach (var file in mountedSecrets.Values)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(file)!);
                using var key = RSA.Create(2048);
                File.WriteAllText(file, key.ExportPkcs8PrivateKeyPem());
                AllowEveryone(Path.GetDirectoryName(file)!);
            }

            var database = ResolvedCompose.Environment(resolved.StandardOutput, "db");
            var createRole = $"CREATE ROLE \"{database["POSTGRES_USER"]}\" LOGIN SUPERUSER PASSWORD '{database["POSTGRES_PASSWORD"]}'";
            var createDatabase = $"CREATE DATABASE \"{database["POSTGRES_DB"]}\" OWNER \"{database["POSTGRES_USER"]}\"";
            var created = await Run("psql", ["-h", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", "postgres", "-d", "postgres",
                "-v", "ON_ERROR_STOP=1", "-c", createRole, "-c", createDatabase],
                root, new Dictionary<string, string?> { ["PGPASSWORD"] = serverPassword });
            Assert.True(created.Succeeded, created.Describe($"[{scenario}] Could not create the compose database."));

            // The environment compose gives the api and migrate services, on top of the image's own ENV; only the
            // database host (compose's service name), the listening port (free here) and where secrets are mounted differ.
            var environment = new Dictionary<string, string?>();
            foreach (var (key, value) in dockerfile.Environment)
                environment[key] = value;
            foreach (var (key, value) in ResolvedCompose.Environment(resolved.StandardOutput, "api"))
                environment[key] = mountedSecrets.Aggregate(
                    value.Replace("Host=db;Port=5432", $"Host=127.0.0.1;Port={port}", StringComparison.Ordinal),
                    (current, secret) => current.Replace($"/run/secrets/{secret.Key}", secret.Value, StringComparison.Ordinal));
            var httpPort = FreePort();
            environment["ASPNETCORE_HTTP_PORTS"] = httpPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
            environment["ASPNETCORE_ENVIRONMENT"] = null;
            environment["DOTNET_ENVIRONMENT"] = null;
            environment["HOME"] = Path.Combine(root, "home");
            Directory.CreateDirectory(environment["HOME"]!);
            AllowEveryone(app);
            AllowEveryone(environment["HOME"]!);
            Assert.Equal(["migrate"], ResolvedCompose.Command(resolved.StandardOutput, "migrate"));

            var migrate = await Run(AsUnprivileged([.. dockerfile.Entrypoint, "migrate"]), app, environment);
            Assert.True(migrate.Succeeded, migrate.Describe($"[{scenario}] The migrate command failed."));

            server = StartServer(AsUnprivileged(dockerfile.Entrypoint), app, environment);
            var healthy = await HealthCheckUntil(exitCode: 0, dockerfile, app, environment, TimeSpan.FromSeconds(60));
            Assert.True(healthy.Succeeded, healthy.Describe($"[{scenario}] The HEALTHCHECK command never reported healthy.", details: ServerOutput(server)));
            Assert.NotEqual(0, UserIdOf(server));

            // Then as the Kubernetes pod runs it (deploy/kubernetes): a read-only root file system where only an
            // emptyDir is writable, the .NET runtime's temporary files pointed there with TMPDIR.
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
            var pod = await ReadOnlyRootAsync(root, app, environment);
            server = StartServer(pod.Confine(dockerfile.Entrypoint), app, pod.Environment);
            var podHealthy = await HealthCheckUntil(exitCode: 0, dockerfile, app, pod.Environment, TimeSpan.FromSeconds(60), pod.Confine);
            Assert.True(podHealthy.Succeeded, podHealthy.Describe($"[{scenario}] On a read-only root file system the HEALTHCHECK command never reported healthy.", details: ServerOutput(server)));
            await AssertServesAsync(scenario, pod.Environment, server);

            var stopped = await Run("bash", [Path.Combine(TemplateRepository.Root, "scripts", "throwaway-postgres.sh"), "stop", postgres], root);
            Assert.True(stopped.Succeeded, stopped.Describe("Could not stop PostgreSQL."));
            var unhealthy = await HealthCheckUntil(exitCode: 1, dockerfile, app, pod.Environment, TimeSpan.FromSeconds(30), pod.Confine);
            Assert.True(unhealthy.ExitCode == 1, unhealthy.Describe($"[{scenario}] The HEALTHCHECK command did not report unhealthy without PostgreSQL."));
            return true;
        }
        finally
        {
            if (server is { HasExited: false })
                server.Kill(entireProcessTree: true);
            // The read-only rehearsal took the write permission away; the run directory must stay deletable.
            if (!OperatingSystem.IsWindows() && Directory.Exists(app))
            {
                foreach (var path in Directory.EnumerateFileSystemEntries(app, "*", SearchOption.AllDirectories).Append(app))
                    File.SetUnixFileMode(path, File.GetUnixFileMode(path) | UnixFileMode.UserWrite);
            }
            await Run("bash", [Path.Combine(TemplateRepository.Root, "scripts", "throwaway-postgres.sh"), "stop", postgres], root);
        }
    }

    static async Task<CommandResult> HealthCheckUntil(int exitCode, Dockerfile dockerfile, string app,
        IReadOnlyDictionary<string, string?> environment, TimeSpan patience, Func<IReadOnlyList<string>, string[]>? confine = null)
    {
        var deadline = DateTime.UtcNow + patience;
        while (true)
        {
            var check = await Run((confine ?? AsUnprivileged)(dockerfile.HealthCheck), app, environment);
            if (check.ExitCode == exitCode || DateTime.UtcNow > deadline)
                return check;
            await Task.Delay(1000);
        }
    }

    /// <summary>How the pod runs a command: unprivileged, with the root file system read-only but for the emptyDir.</summary>
    sealed record ReadOnlyRoot(IReadOnlyDictionary<string, string?> Environment, Func<IReadOnlyList<string>, string[]> Confine);

    /// <summary>
    /// Prepares the pod's file system: the app's folder and HOME not writable by its user, an emptyDir stand-in as
    /// TMPDIR, and, where this machine allows a private mount namespace (root), the whole root file system remounted
    /// read-only inside it except that folder, so that any write elsewhere fails as in the pod. Checks that it holds.
    /// </summary>
    static async Task<ReadOnlyRoot> ReadOnlyRootAsync(string root, string app, IReadOnlyDictionary<string, string?> environment)
    {
        var emptyDir = Path.Combine(root, "empty-dir");
        var home = Path.Combine(root, "read-only-home");
        Directory.CreateDirectory(emptyDir);
        Directory.CreateDirectory(home);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(emptyDir, (UnixFileMode)Convert.ToInt32("1777", 8));
            // Without write permission for anyone: the run's own user may be the one the app runs as (no root here).
            foreach (var path in Directory.EnumerateFileSystemEntries(app, "*", SearchOption.AllDirectories).Append(app).Append(home))
                File.SetUnixFileMode(path, File.GetUnixFileMode(path) & ~(UnixFileMode.UserWrite | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite));
        }

        var script = Path.Combine(root, "read-only-root.sh");
        File.WriteAllText(script,
            "#!/bin/sh\n" +
            "# In a private mount namespace: the writable folder stays a read-write mount of its own, everything else on\n" +
            "# the root file system becomes read-only, as readOnlyRootFilesystem makes it in the pod.\n" +
            "set -e\nwritable=$1; shift\nmount --bind \"$writable\" \"$writable\"\nmount -o remount,bind,ro /\nexec \"$@\"\n");
        string[] InNamespace(IReadOnlyList<string> command) =>
            ["unshare", "--mount", "--propagation", "private", "--", "sh", script, emptyDir, .. AsUnprivileged(command)];
        var namespaceWorks = (await Run(InNamespace(["true"]), root)).Succeeded;
        Func<IReadOnlyList<string>, string[]> confine = namespaceWorks ? InNamespace : AsUnprivileged;

        // With the namespace, a folder anyone may write shows that the file system refuses; without it, only
        // permissions do, on the app's folder.
        var worldWritable = Path.Combine(root, "world-writable");
        Directory.CreateDirectory(worldWritable);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(worldWritable, (UnixFileMode)Convert.ToInt32("1777", 8));
        var outside = Path.Combine(namespaceWorks ? worldWritable : app, "written-outside");
        var writeOutside = await Run(confine(["touch", outside]), root);
        var writeInside = await Run(confine(["touch", Path.Combine(emptyDir, "written-inside")]), root);
        Assert.False(writeOutside.Succeeded || File.Exists(outside), writeOutside.Describe($"The rehearsed pod could write {outside}."));
        Assert.True(writeInside.Succeeded, writeInside.Describe("The rehearsed pod could not write its emptyDir."));

        var podEnvironment = new Dictionary<string, string?>(environment)
        {
            ["TMPDIR"] = emptyDir,
            ["HOME"] = home,
        };
        return new ReadOnlyRoot(podEnvironment, confine);
    }

    /// <summary>The API answers requests that read its keys and its database, not only its health.</summary>
    static async Task AssertServesAsync(string scenario, IReadOnlyDictionary<string, string?> environment, Process server)
    {
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{environment["ASPNETCORE_HTTP_PORTS"]}") };
        using var keys = await client.GetAsync("/.well-known/jwks.json");
        Assert.True(keys.StatusCode == System.Net.HttpStatusCode.OK, $"[{scenario}] GET /.well-known/jwks.json answered {(int)keys.StatusCode}.\n{ServerOutput(server)}");
        using var login = await client.PostAsync("/api/v1/auth/login", new StringContent(
            """{"email":"nobody@example.com","password":"Not-the-password-1"}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.True(login.StatusCode == System.Net.HttpStatusCode.Unauthorized, $"[{scenario}] A login with an unknown address answered {(int)login.StatusCode}.\n{ServerOutput(server)}");
    }

    /// <summary>As root, the way the image's USER instruction runs it: as an unprivileged user (nobody).</summary>
    static string[] AsUnprivileged(IReadOnlyList<string> command) =>
        Environment.UserName == "root" || Environment.GetEnvironmentVariable("USER") == "root" || UserIdOf(Environment.ProcessId) == 0
            ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", .. command]
            : [.. command];

    /// <summary>Lets the unprivileged user read the published app and write its home folder.</summary>
    static void AllowEveryone(string directory)
    {
        if (OperatingSystem.IsWindows())
            return;
        foreach (var path in Directory.EnumerateFileSystemEntries(directory, "*", SearchOption.AllDirectories).Append(directory))
        {
            var mode = File.GetUnixFileMode(path);
            File.SetUnixFileMode(path, mode | UnixFileMode.OtherRead | UnixFileMode.OtherWrite |
                (Directory.Exists(path) ? UnixFileMode.OtherExecute : UnixFileMode.None));
        }
    }

    static readonly System.Collections.Concurrent.ConcurrentDictionary<Process, System.Text.StringBuilder> ServerOutputs = new();

    static Process StartServer(string[] command, string workingDirectory, IReadOnlyDictionary<string, string?> environment)
    {
        var startInfo = new ProcessStartInfo(command[0])
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in command[1..])
            startInfo.ArgumentList.Add(argument);
        foreach (var (key, value) in environment)
        {
            if (value is null)
                startInfo.Environment.Remove(key);
            else
                startInfo.Environment[key] = value;
        }

        var process = Process.Start(startInfo)!;
        var output = new System.Text.StringBuilder();
        ServerOutputs[process] = output;
        process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    static string ServerOutput(Process server)
    {
        var output = ServerOutputs[server];
        lock (output)
            return "Server output:\n" + output;
    }

    static int UserIdOf(Process process) => UserIdOf(process.Id);

    static int UserIdOf(int processId)
    {
        var status = $"/proc/{processId}/status";
        if (!File.Exists(status))
            return -1;
        var line = File.ReadLines(status).First(l => l.StartsWith("Uid:", StringComparison.Ordinal));
        return int.Parse(line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The .env a user would write: .env.example with its placeholders replaced where a value is given.</summary>
    static string EnvFileFromExample(string example, IReadOnlyDictionary<string, string> values) =>
        string.Join('\n', EnvFileValues(example).Select(pair => $"{pair.Key}={values.GetValueOrDefault(pair.Key, pair.Value)}")) + "\n";

    static Dictionary<string, string> EnvFileValues(string envFile) =>
        envFile.Split('\n')
            .Select(line => line.Trim())
            .Where(line => line.Length > 0 && !line.StartsWith('#') && line.Contains('='))
            .ToDictionary(line => line[..line.IndexOf('=')], line => line[(line.IndexOf('=') + 1)..]);

    static Task<CommandResult> DockerCompose(string directory, params string[] arguments) =>
        Run("docker-compose", ["-f", "docker-compose.yml", .. arguments], directory);

    static Task<CommandResult> Run(string[] command, string directory, IReadOnlyDictionary<string, string?>? environment = null) =>
        Run(command[0], command[1..], directory, environment);

    static async Task<CommandResult> Run(string program, IReadOnlyList<string> arguments, string directory,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        try
        {
            return await CommandRunner.RunAsync(program, arguments, directory, ToolTimeout, environment);
        }
        catch (System.ComponentModel.Win32Exception exception)
        {
            throw new InvalidOperationException(
                $"`{program}` is not installed. The Docker checks need docker-compose (Debian: apt-get install docker-compose), " +
                "dockerfile-utils (npm install -g dockerfile-utils), psql, setpriv and the PostgreSQL server binaries.", exception);
        }
    }

    [GeneratedRegex(@"\$\{(?<name>[A-Z_][A-Z0-9_]*):\?")]
    private static partial Regex RequiredVariable();

    [GeneratedRegex("(?i)(password|secret|signingkey|signing_key|token|apikey|api_key)")]
    private static partial Regex SecretLooking();
}
