using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace AuthTemplate.TemplateTests;

/// <summary>
/// The generated README's "Run it in five minutes", as written: its own commands, in a fresh generation, against the
/// PostgreSQL it tells a newcomer to start (user <c>postgres</c>, password <c>postgres</c> on localhost:5432). The
/// migrate and run commands, then every curl block: register, read the confirmation from the pickup folder, confirm,
/// log in, read the user; forgot the password, read the reset email, reset. Then "Two-factor sign-in" as written:
/// setup, a code from <c>oathtool</c>, enable, and a login through its second step.
/// </summary>
[Collection(ConventionalPostgres.CollectionName)]
public sealed partial class ReadmeWalkthroughTests(ConventionalPostgres postgres, ITestOutputHelper output)
{
    const string Section = "## Run it in five minutes";
    const string TwoFactorSection = "## Two-factor sign-in";
    static readonly TimeSpan StepTimeout = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task The_generated_readmes_walkthrough_works_as_written()
    {
        var variant = Variants.Find("default");
        var generated = await TemplateRun.Current.Generated(variant);
        var blocks = BashBlocks(SectionText(generated.Files.ReadText("README.md"), Section));
        var serve = blocks.SelectMany(block => block.Split('\n')).Select(line => line.Trim())
            .Where(line => line.StartsWith("dotnet run ", StringComparison.Ordinal)).ToList();
        Assert.True(serve.Count == 2 && serve[0].EndsWith("-- migrate", StringComparison.Ordinal),
            $"[{variant.Scenario}] README.md's walkthrough should run `-- migrate`, then serve; it has: {string.Join(" | ", serve)}");
        var walks = blocks.Where(block => block.Contains("curl ", StringComparison.Ordinal)).ToList();
        Assert.True(walks.Count == 2, $"[{variant.Scenario}] README.md's walkthrough should have two curl blocks (the account, then a reset); it has {walks.Count}.");
        var twoFactor = BashBlocks(SectionText(generated.Files.ReadText("README.md"), TwoFactorSection));
        Assert.True(twoFactor.Count == 1, $"[{variant.Scenario}] README.md's \"{TwoFactorSection}\" should have one bash block (the whole flow); it has {twoFactor.Count}.");
        var baseUrl = BaseUrl().Match(walks[0]) is { Success: true } url
            ? $"http://{url.Groups["host"].Value}"
            : throw new InvalidOperationException("The walkthrough's curl commands name no localhost:PORT.");

        var port = await postgres.Port;
        output.WriteLine(postgres.Describe(port));
        var directory = Path.Combine(TemplateRun.Current.FreshDirectory("walkthrough"), variant.Name);
        generated.Files.WriteTo(directory);
        // Development's generated signing key goes under the user profile: a profile of this test's own.
        var environment = new Dictionary<string, string?>
        {
            ["XDG_CONFIG_HOME"] = Path.Combine(directory, "..", "profile"),
            ["ConnectionStrings__Postgres"] = null,
            ["ASPNETCORE_ENVIRONMENT"] = null,
        };
        if (port != ConventionalPostgres.DocumentedPort)
        {
            environment["ConnectionStrings__Postgres"] = ConventionalPostgres.WithPort(
                $"Host=localhost;Port={ConventionalPostgres.DocumentedPort};Database=contoso_orders;Username={ConventionalPostgres.User};Password={ConventionalPostgres.Password}", port);
            output.WriteLine($"ConnectionStrings__Postgres={environment["ConnectionStrings__Postgres"]}");
        }

        await TemplateRun.Current.InPipelineSlotAsync($"{variant.Scenario}: README walkthrough", async () =>
        {
            async Task<CommandResult> Bash(string what, string script)
            {
                var result = await CommandRunner.RunAsync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", script], directory, StepTimeout, environment);
                output.WriteLine($"exit {result.ExitCode}, {result.Duration.TotalSeconds:F1} s: {what}");
                Assert.True(result.Succeeded, result.Describe($"[{variant.Scenario}] {what} failed.", tailLines: 40));
                return result;
            }

            // What `dotnet new` does after generating unless told --skip-restore, as the pinned variants are.
            await Bash("dotnet restore", "dotnet restore");
            await Bash(serve[0], serve[0]);
            using var server = StartServer(serve[1], directory, environment);
            try
            {
                using var http = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(10) };
                await WaitUntilReadyAsync(http, server, variant);

                var account = await Bash("the walkthrough's register, confirm, log in and read the user", walks[0]);
                Assert.Matches("\"email\":\"alice@example.com\"", account.StandardOutput);
                Assert.Matches("\"emailConfirmed\":true", account.StandardOutput);

                await Bash("the walkthrough's forgot and reset", walks[1]);
                var oldPassword = await http.PostAsJsonAsync("/api/v1/auth/login", new { email = "alice@example.com", password = "correct horse battery staple" });
                var newPassword = await http.PostAsJsonAsync("/api/v1/auth/login", new { email = "alice@example.com", password = "an even better passphrase" });
                Assert.Equal(HttpStatusCode.Unauthorized, oldPassword.StatusCode);
                Assert.Equal(HttpStatusCode.OK, newPassword.StatusCode);

                var signedIn = await Bash("the two-factor flow: setup, enable with oathtool's code, log in with the challenge", twoFactor[0]);
                Assert.Matches("\"recoveryCodes\":\\[(\"[2-9A-Z-]{14}\",?){10}\\]", signedIn.StandardOutput);
                Assert.Matches("\"accessToken\":\"[^\"]+\"", signedIn.StandardOutput);
                var asked = await http.PostAsJsonAsync("/api/v1/auth/login", new { email = "alice@example.com", password = "an even better passphrase" });
                Assert.Equal(HttpStatusCode.Forbidden, asked.StatusCode);
                Assert.Contains("two-factor-required", await asked.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }
            finally
            {
                server.Kill(entireProcessTree: true);
                await server.WaitForExitAsync();
            }

            return true;
        });
    }

    static Process StartServer(string command, string directory, IReadOnlyDictionary<string, string?> environment)
    {
        var startInfo = new ProcessStartInfo("bash", ["--noprofile", "--norc", "-c", "exec " + command])
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var name in startInfo.Environment.Keys.Where(name => name.StartsWith("MSBUILD", StringComparison.Ordinal) || name.StartsWith("VSTEST", StringComparison.Ordinal)).ToList())
            startInfo.Environment.Remove(name);
        foreach (var (key, value) in environment)
        {
            if (value is null)
                startInfo.Environment.Remove(key);
            else
                startInfo.Environment[key] = value;
        }

        var process = Process.Start(startInfo)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    static async Task WaitUntilReadyAsync(HttpClient http, Process server, Variant variant)
    {
        var deadline = DateTime.UtcNow + StepTimeout;
        while (true)
        {
            Assert.False(server.HasExited, $"[{variant.Scenario}] The README's run command exited with code {(server.HasExited ? server.ExitCode : 0)} before serving.");
            try
            {
                if ((await http.GetAsync("/health/ready")).IsSuccessStatusCode)
                    return;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            Assert.True(DateTime.UtcNow < deadline, $"[{variant.Scenario}] The API the README runs was not ready within {StepTimeout.TotalMinutes} minutes.");
            await Task.Delay(500);
        }
    }

    /// <summary>The text of one <c>## </c> section, up to the next one.</summary>
    static string SectionText(string markdown, string heading)
    {
        var start = markdown.IndexOf(heading + "\n", StringComparison.Ordinal);
        Assert.True(start >= 0, $"README.md has no section \"{heading}\".");
        var end = markdown.IndexOf("\n## ", start + heading.Length, StringComparison.Ordinal);
        return end < 0 ? markdown[start..] : markdown[start..end];
    }

    /// <summary>The bash code blocks, with the indentation of a list item taken off.</summary>
    static List<string> BashBlocks(string markdown) =>
        BashBlock().Matches(markdown)
            .Select(match => string.Join('\n', match.Groups["body"].Value.Split('\n')
                .Select(line => line.StartsWith(match.Groups["indent"].Value, StringComparison.Ordinal) ? line[match.Groups["indent"].Value.Length..] : line)))
            .ToList();

    [GeneratedRegex(@"^(?<indent>[ ]*)```bash\n(?<body>.*?)\n\k<indent>```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex BashBlock();

    [GeneratedRegex(@"curl -s (?<host>localhost:[0-9]+)/")]
    private static partial Regex BaseUrl();
}
