using System.Diagnostics;
using System.Runtime.InteropServices;
using Contoso.Orders.Api.Tests.Passkeys;

namespace Contoso.Orders.Api.Tests.Infrastructure;

/// <summary>Runs the built API as its own process, the way a container or a deployment script runs it.</summary>
public static class ApiProcess
{
    public sealed record Result(int ExitCode, string StandardOutput, string StandardError);

    private static readonly Lazy<TestKey> SharedKey = new(() => TestKey.Rsa());

    /// <summary>The signing key of every process the tests start, made for this run only.</summary>
    public static TestKey Key => SharedKey.Value;

    /// <summary>The environment of a production deployment: an issuer, a signing key and email settings, plus the given settings.</summary>
    public static Dictionary<string, string?> Production(params (string Key, string Value)[] settings)
    {
        var environment = AsEnvironment(ApiFactory.EmailSettings);
        environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        environment["Jwt__Issuer"] = ApiFactory.Issuer;
        environment["Jwt__SigningKeys__0__Pem"] = Key.Pem;
        environment["Email__Smtp__Host"] = "smtp.example.com";
        environment["Passkeys__RpId"] = PasskeyOrigins.RpId;
        environment["Passkeys__Origins__0"] = PasskeyOrigins.Origin;
        foreach (var (key, value) in settings)
        {
            environment[key] = value;
        }

        return environment;
    }

    public static async Task<Result> RunAsync(IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        using var process = Start(environment, args);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Patience.Limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"`{string.Join(' ', args)}` did not exit within {Patience.Limit.TotalSeconds:F0} s.");
        }

        var result = new Result(process.ExitCode, await output, await error);
        TestRun.Logs.Append($"{string.Join(' ', args)}: {result.StandardOutput}\n{result.StandardError}");
        return result;
    }

    /// <summary>Settings as environment variables (<c>Email:From</c> becomes <c>Email__From</c>).</summary>
    public static Dictionary<string, string?> AsEnvironment(IEnumerable<KeyValuePair<string, string?>> settings) =>
        settings.ToDictionary(setting => setting.Key.Replace(":", "__", StringComparison.Ordinal), setting => setting.Value);

    /// <summary>Starts the API without waiting for it; the caller stops it.</summary>
    public static Process Start(IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        var apiAssembly = typeof(Program).Assembly.Location;
        var startInfo = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(apiAssembly)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        startInfo.ArgumentList.Add(apiAssembly);
        foreach (var arg in args)
        {
            startInfo.ArgumentList.Add(arg);
        }

        // Nothing from the test runner's own environment may decide which database the process uses, nor where its
        // telemetry goes.
        var telemetrySettings = startInfo.Environment.Keys.Where(key => key.StartsWith("OTEL_", StringComparison.Ordinal));
        foreach (var inherited in new[] { "ConnectionStrings__Postgres", "DATABASE_URL", "ASPNETCORE_ENVIRONMENT", "DOTNET_ENVIRONMENT" }.Concat(telemetrySettings).ToList())
        {
            startInfo.Environment.Remove(inherited);
        }

        // The suite starts dozens of processes that live seconds, each mostly JIT compilation: without the
        // profile-guided instrumentation of the first tier, and with a method compiled again optimized only once it is
        // called 2,000 times rather than 30 (a hash's inner loops still are, at once), they start on little more than
        // half the CPU, and behave the same.
        startInfo.Environment["DOTNET_TieredPGO"] = "0";
        startInfo.Environment["DOTNET_TC_CallCountThreshold"] = "2000";
        foreach (var (key, value) in environment)
        {
            if (value is null)
            {
                startInfo.Environment.Remove(key);
                continue;
            }

            startInfo.Environment[key] = value;
            if (key.Contains("Key", StringComparison.Ordinal) || key.Contains("Password", StringComparison.Ordinal))
            {
                TestRun.RememberSecret(value);
            }
            else if (key.StartsWith("ConnectionStrings", StringComparison.Ordinal) && value is not null)
            {
                TestRun.RememberDatabasePassword(value);
            }
        }

        var process = Process.Start(startInfo)!;
        Started.Enqueue(new StartedProcess(process.Id, process.StartTime, string.Join(' ', args.DefaultIfEmpty("serve"))));
        return process;
    }

    /// <summary>Every process the run started: none may outlive the tests that started it.</summary>
    public static System.Collections.Concurrent.ConcurrentQueue<StartedProcess> Started { get; } = new();

    /// <summary>A started process, known by its id and start time (the <see cref="Process"/> itself may be disposed by then).</summary>
    public sealed record StartedProcess(int Id, DateTime StartTime, string Command)
    {
        public bool IsRunning
        {
            get
            {
                try
                {
                    using var process = Process.GetProcessById(Id);
                    // An id the system gave to a later process is not this one.
                    return !process.HasExited && process.StartTime == StartTime;
                }
                catch (Exception exception) when (exception is ArgumentException or InvalidOperationException)
                {
                    return false;
                }
            }
        }
    }

    /// <summary>
    /// SIGTERM, what an orchestrator sends to stop a container (Kubernetes, <c>docker stop</c>): the process is asked to
    /// stop and does so in its own time. .NET has no call for it (<see cref="Process.Kill()"/> is SIGKILL).
    /// </summary>
    public static void Terminate(Process process)
    {
        if (kill(process.Id, SignalTerminate) != 0)
        {
            var error = Marshal.GetLastPInvokeError();
            // A process that already exited cannot be signalled (ESRCH); anything else is a failure of the test.
            if (!process.HasExited)
            {
                throw new InvalidOperationException($"kill({process.Id}, SIGTERM) failed with errno {error}.");
            }
        }
    }

    /// <summary>Waits for the process to exit and returns its exit code; fails the test if it runs past the timeout.</summary>
    public static async Task<int> ExitCodeAsync(Process process, TimeSpan timeout)
    {
        using var limit = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"The process did not exit within {timeout.TotalSeconds} s.");
        }

        return process.ExitCode;
    }

    private const int SignalTerminate = 15;

#pragma warning disable SYSLIB1054 // LibraryImport needs unsafe code enabled for the test project; one plain call does not.
    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
#pragma warning restore SYSLIB1054

    /// <summary>
    /// Starts the API and keeps reading its output (so that a full pipe never stalls it); disposing kills it if it
    /// still runs and adds its output to the run's logs for the log scan.
    /// </summary>
    public static Running Launch(IReadOnlyDictionary<string, string?> environment, params string[] args) => new(Start(environment, args));

    public sealed class Running : IDisposable
    {
        private readonly Process _process;
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _output = new();

        internal Running(Process process)
        {
            _process = process;
            _process.OutputDataReceived += (_, line) => Collect(line.Data);
            _process.ErrorDataReceived += (_, line) => Collect(line.Data);
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
        }

        public string Output => string.Join('\n', _output);

        public bool HasExited => _process.HasExited;

        /// <summary>SIGTERM: the process is asked to stop (see <see cref="ApiProcess.Terminate"/>).</summary>
        public void Terminate() => ApiProcess.Terminate(_process);

        /// <summary>Waits for the process to exit and returns its exit code.</summary>
        public Task<int> ExitCodeAsync(TimeSpan timeout) => ApiProcess.ExitCodeAsync(_process, timeout);

        /// <summary>SIGKILL: the process ends at once, in the middle of whatever it does, as in a crash.</summary>
        public void Kill()
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                Kill();
            }

            TestRun.Logs.Append(Output);
            _process.Dispose();
        }

        private void Collect(string? line)
        {
            if (line is not null)
            {
                _output.Enqueue(line);
            }
        }
    }
}

/// <summary>
/// Tests that start the built API as processes of their own run in a few collections, each holding one of
/// <see cref="Environment.ProcessorCount"/> slots while it runs: every process starting at once would turn a suite
/// of waits into a contest for the cores (a process's start is mostly JIT compilation), and a busy machine into a
/// slow one. The rest of the suite runs beside them.
/// </summary>
public abstract class ProcessCollectionFixture(string group) : IAsyncLifetime
{
    private static readonly SemaphoreSlim Slots = new(Environment.ProcessorCount, Environment.ProcessorCount);

    public virtual Task InitializeAsync() => Slots.WaitAsync();

    public virtual Task DisposeAsync()
    {
        Slots.Release();
        TestRun.MarkFinished(group);
        return Task.CompletedTask;
    }
}

/// <summary>The built API stopped and crashed as a process: graceful shutdown, and email across a crash.</summary>
[CollectionDefinition(Name)]
public sealed class ProcessCollection : ICollectionFixture<ProcessCollection.Slot>
{
    public const string Name = "processes";

    public sealed class Slot() : ProcessCollectionFixture(Name);
}

/// <summary>Several replicas of the built API on one database.</summary>
[CollectionDefinition(Name)]
public sealed class ReplicaCollection : ICollectionFixture<ReplicaCollection.Shared>
{
    public const string Name = "replicas";

    /// <summary>
    /// The collection's slot, and two replicas that its tests share, each test with users of its own (tests that
    /// need other settings, or a replica of their own to cut off, start theirs). They hash at the least cost
    /// production accepts: no replica test is about the cost, and every registration and login spends it.
    /// </summary>
    public sealed class Shared() : ProcessCollectionFixture(Name)
    {
        public ApiReplicas Replicas { get; private set; } = null!;

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            Replicas = await ApiReplicas.StartAsync(2, ("Auth__BcryptWorkFactor", Configuration.AuthSettingsValidator.ProductionMinimumWorkFactor.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        public override async Task DisposeAsync()
        {
            if (Replicas is not null)
            {
                await Replicas.DisposeAsync();
            }

            await base.DisposeAsync();
        }
    }
}

/// <summary>The built API's commands and the checks it makes before it serves.</summary>
[CollectionDefinition(Name)]
public sealed class CommandCollection : ICollectionFixture<CommandCollection.Slot>
{
    public const string Name = "commands";

    public sealed class Slot() : ProcessCollectionFixture(Name);
}

/// <summary>Single processes watched from outside: what they export, and how they rotate keys.</summary>
[CollectionDefinition(Name)]
public sealed class ObservedProcessCollection : ICollectionFixture<ObservedProcessCollection.Slot>
{
    public const string Name = "observed";

    public sealed class Slot() : ProcessCollectionFixture(Name);
}
