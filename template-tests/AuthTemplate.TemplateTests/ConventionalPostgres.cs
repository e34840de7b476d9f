using System.Globalization;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace AuthTemplate.TemplateTests;

/// <summary>
/// The PostgreSQL server a generated project tells its users to have: user <c>postgres</c> with password
/// <c>postgres</c> on localhost:5432, as a GitHub Actions <c>postgres</c> service or <c>docker run -e
/// POSTGRES_PASSWORD=postgres</c> sets it up. A throwaway server, started on first use and stopped when the tests that
/// share it are done. It listens on 127.0.0.1:5432 when that port is free (as on CI), otherwise on another free port
/// with the same credentials; <see cref="WithPort"/> rewrites a documented connection string for it.
/// Separate from the server named by TEST_POSTGRES.
/// </summary>
public sealed partial class ConventionalPostgres : IAsyncLifetime
{
    public const string CollectionName = "conventional PostgreSQL (postgres/postgres)";
    public const string User = "postgres";
    public const string Password = "postgres";
    public const int DocumentedPort = 5432;

    readonly Lazy<Task<int>> started;
    readonly object directoriesLock = new();
    readonly List<string> directories = [];

    public ConventionalPostgres()
    {
        started = new Lazy<Task<int>>(() => Task.Run(StartAsync));
        AppDomain.CurrentDomain.ProcessExit += (_, _) => StopAll().GetAwaiter().GetResult();
    }

    /// <summary>The port the server listens on, once it has started.</summary>
    public Task<int> Port => started.Value;

    /// <summary>A line for the test output saying where the server is and what that changes.</summary>
    public string Describe(int port) => port == DocumentedPort
        ? $"PostgreSQL (user {User}, password {Password}) listens on 127.0.0.1:{port}, the documented port."
        : $"Port {DocumentedPort} was taken on this machine: PostgreSQL (user {User}, password {Password}) listens on " +
          $"127.0.0.1:{port} instead, and the connection strings given to the project differ from the documented ones only by that port.";

    /// <summary>The connection string with its <c>Port=5432</c> replaced by <paramref name="port"/>; unchanged on 5432.</summary>
    public static string WithPort(string connectionString, int port)
    {
        if (port == DocumentedPort)
            return connectionString;
        var rewritten = PortSetting().Replace(connectionString, $"${{key}}{port.ToString(CultureInfo.InvariantCulture)}");
        return rewritten != connectionString
            ? rewritten
            : throw new InvalidOperationException($"'{connectionString}' names no Port={DocumentedPort} to rewrite for port {port}.");
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => StopAll();

    async Task<int> StartAsync()
    {
        // Another run on this machine may hold 5432, or take it between the check and the start: then any free port.
        if (!Listening(DocumentedPort))
        {
            var (documented, _) = await TryStartAsync(DocumentedPort);
            if (documented)
                return DocumentedPort;
        }
        var port = FreePort();
        var (succeeded, result) = await TryStartAsync(port);
        return succeeded
            ? port
            : throw new InvalidOperationException(result.Describe($"Could not start a throwaway PostgreSQL with user {User} and password {Password}."));
    }

    async Task<(bool, CommandResult)> TryStartAsync(int port)
    {
        var directory = TemplateRun.Current.FreshDirectory("pg");
        lock (directoriesLock)
            directories.Add(directory);
        var result = await CommandRunner.RunAsync("bash",
            [Script, "start", directory, port.ToString(CultureInfo.InvariantCulture), Password],
            Path.GetTempPath(), TimeSpan.FromMinutes(2));
        return (result.Succeeded && result.StandardOutput.Contains($"Password={Password}", StringComparison.Ordinal), result);
    }

    async Task StopAll()
    {
        List<string> toStop;
        lock (directoriesLock)
        {
            toStop = [.. directories];
            directories.Clear();
        }
        foreach (var directory in toStop)
            await CommandRunner.RunAsync("bash", [Script, "stop", directory], Path.GetTempPath(), TimeSpan.FromMinutes(1));
    }

    static string Script => Path.Combine(TemplateRepository.Root, "scripts", "throwaway-postgres.sh");

    static bool Listening(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect("127.0.0.1", port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    static int FreePort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    [GeneratedRegex(@"(?<key>(?:^|;)\s*Port\s*=\s*)5432(?=\s*(;|$))", RegexOptions.IgnoreCase)]
    private static partial Regex PortSetting();
}

/// <summary>The tests that share the one <see cref="ConventionalPostgres"/> server; they run one after the other.</summary>
[CollectionDefinition(ConventionalPostgres.CollectionName)]
public sealed class ConventionalPostgresCollection : ICollectionFixture<ConventionalPostgres>;
