using System.Text;

namespace AuthTemplate.TemplateTests;

/// <summary>A variant instantiated from the packed template, with its files read before anything was built.</summary>
public sealed record GeneratedVariant(Variant Variant, string Directory, CommandResult Instantiation, FileTree Files);

/// <summary>The generated solution's own test run.</summary>
public sealed record VariantTestRun(Variant Variant, CommandResult Command, string ResultsDirectory, TrxReport? Report);

/// <summary>A step of a variant pipeline failed; the message says which, with the command and its output.</summary>
public sealed class VariantStepFailedException(string message) : Exception(message);

/// <summary>
/// Shared by all tests of one test run: packs the template once, installs it into a fresh isolated hive, and
/// instantiates each variant once. Each variant then has one pipeline, its build and, for the variants that run
/// their own suite (<see cref="Variants.RunsOwnSuite"/>), its tests, each step holding one of a bounded number of
/// slots (TEMPLATE_TESTS_PARALLELISM, default 1) that every other heavy step holds too; asking for any variant's
/// build or tests starts every pipeline, that variant's first.
/// Each step is a cached task, so a test only awaits its variant's step.
/// </summary>
public sealed class TemplateRun
{
    public const string PostgresVariable = "TEST_POSTGRES";
    public const string ParallelismVariable = "TEMPLATE_TESTS_PARALLELISM";
    // Measured on 2 cores: one pipeline at a time is fastest (3 variants: 109 s; 2 at once: 126 s; 3 at once: 149 s),
    // since a build and a generated test run each keep both cores busy.
    const int DefaultParallelism = 1;

    static readonly Lazy<TemplateRun> current = new(() => new TemplateRun());

    public static TemplateRun Current => current.Value;

    readonly SemaphoreSlim pipelineSlots;
    readonly SemaphoreSlim templateEngine = new(1, 1);
    readonly Lazy<Task<string>> package;
    readonly Lazy<Task> installation;
    readonly Dictionary<string, Lazy<Task<GeneratedVariant>>> generations;
    readonly Dictionary<string, VariantPipeline> pipelines;
    readonly object logLock = new();

    TemplateRun()
    {
        var runsDirectory = Path.Combine(Path.GetTempPath(), "authtemplate-tests");
        DeleteRunsOlderThanADay(runsDirectory);
        RunDirectory = Path.Combine(runsDirectory, $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Environment.ProcessId}");
        Directory.CreateDirectory(RunDirectory);
        HiveDirectory = Path.Combine(RunDirectory, "hive");
        CliHomeDirectory = Path.Combine(RunDirectory, "cli-home");
        var resultsRoot = Environment.GetEnvironmentVariable("TEST_RESULTS_DIR");
        ResultsDirectory = string.IsNullOrWhiteSpace(resultsRoot) ? Path.Combine(RunDirectory, "results") : Path.GetFullPath(resultsRoot);
        Directory.CreateDirectory(ResultsDirectory);

        var parallelism = int.TryParse(Environment.GetEnvironmentVariable(ParallelismVariable), out var configured) && configured > 0
            ? configured
            : DefaultParallelism;
        pipelineSlots = new SemaphoreSlim(parallelism, parallelism);

        package = new(() => Task.Run(PackAsync));
        installation = new(() => Task.Run(InstallAsync));
        generations = Variants.All.ToDictionary(variant => variant.Scenario,
            variant => new Lazy<Task<GeneratedVariant>>(() => Task.Run(() => GenerateAsync(variant))));
        pipelines = Variants.All.ToDictionary(variant => variant.Scenario, variant => new VariantPipeline(variant, RunPipelineAsync));
        Log($"run directory {RunDirectory}, {parallelism} pipeline slots");
    }

    /// <summary>Everything this run writes outside the repository: package, hive, generated variants, command log.</summary>
    public string RunDirectory { get; }
    public string HiveDirectory { get; }
    public string CliHomeDirectory { get; }
    public string ResultsDirectory { get; }

    public Task<string> PackageFile => package.Value;

    public Task<GeneratedVariant> Generated(Variant variant) => generations[variant.Scenario].Value;

    public Task<CommandResult> Built(Variant variant) => StartPipelines(variant).Build.Task;

    public Task<VariantTestRun> Tested(Variant variant) => StartPipelines(variant).Tests.Task;

    /// <summary>Runs <c>dotnet new</c> with the given arguments against the run's hive, once the template is installed.</summary>
    public async Task<CommandResult> RunDotnetNewAsync(params string[] arguments)
    {
        await installation.Value;
        return await RunTemplateEngineAsync(["new", .. arguments, "--debug:custom-hive", HiveDirectory, "--no-update-check"]);
    }

    /// <summary>
    /// Runs work as heavy as a variant's build (a publish, a server, a test suite) in one of the pipeline slots, so
    /// that it does not compete for the cores with the builds; its duration is recorded as the phase
    /// <paramref name="phase"/>.
    /// </summary>
    public async Task<T> InPipelineSlotAsync<T>(string phase, Func<Task<T>> work)
    {
        await pipelineSlots.WaitAsync();
        var started = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            return await work();
        }
        finally
        {
            RecordPhase(phase, started.Elapsed);
            pipelineSlots.Release();
        }
    }

    /// <summary>
    /// Appends a phase and its duration to <c>phases.tsv</c> in the results folder, which <c>test.sh</c> prints as the
    /// run's table of durations.
    /// </summary>
    public void RecordPhase(string phase, TimeSpan duration)
    {
        Log($"phase {phase}: {duration.TotalSeconds:F1} s");
        lock (logLock)
            File.AppendAllText(Path.Combine(ResultsDirectory, "phases.tsv"),
                string.Create(System.Globalization.CultureInfo.InvariantCulture, $"template tests: {phase}\t{duration.TotalSeconds:F0}\n"), Encoding.UTF8);
    }

    /// <summary>A folder under the run directory that does not exist yet.</summary>
    public string FreshDirectory(string name) => Path.Combine(RunDirectory, "scratch", Guid.NewGuid().ToString("N")[..8], name);

    VariantPipeline StartPipelines(Variant first)
    {
        var requested = pipelines[first.Scenario];
        requested.Start();
        foreach (var pipeline in pipelines.Values)
            pipeline.Start();
        return requested;
    }

    async Task<string> PackAsync()
    {
        var outputDirectory = Path.Combine(RunDirectory, "package");
        var result = await RunLoggedAsync(
            ["pack", TemplateRepository.PackingProject, "-o", outputDirectory, "-tl:off", "-nologo"],
            TemplateRepository.Root, TimeSpan.FromMinutes(10));
        if (!result.Succeeded)
            throw new VariantStepFailedException(result.Describe("Packing the template failed."));

        var packages = Directory.GetFiles(outputDirectory, "*.nupkg");
        return packages.Length == 1
            ? packages[0]
            : throw new VariantStepFailedException(result.Describe(
                $"Packing produced {packages.Length} .nupkg files in {outputDirectory}, expected exactly one."));
    }

    async Task InstallAsync()
    {
        var packageFile = await package.Value;
        var result = await RunTemplateEngineAsync(["new", "install", packageFile, "--debug:custom-hive", HiveDirectory]);
        if (!result.Succeeded)
            throw new VariantStepFailedException(result.Describe($"Installing {Path.GetFileName(packageFile)} into a fresh hive failed."));
    }

    async Task<GeneratedVariant> GenerateAsync(Variant variant)
    {
        await installation.Value;
        var started = System.Diagnostics.Stopwatch.StartNew();
        var directory = Path.Combine(RunDirectory, variant.Scenario, variant.Name);
        var result = await RunTemplateEngineAsync(
            ["new", "authapi", "-n", variant.Name, "-o", directory, .. variant.Args, .. Variants.Pins,
             "--debug:custom-hive", HiveDirectory, "--no-update-check"]);
        if (!result.Succeeded)
            throw new VariantStepFailedException(result.Describe($"[{variant.Scenario}] Instantiating the template failed."));
        var generated = new GeneratedVariant(variant, directory, result, FileTree.Read(directory));
        RecordPhase($"{variant.Scenario}: generate", started.Elapsed);
        return generated;
    }

    /// <summary>Builds the variant, then runs its tests, within one slot; publishes each step's outcome.</summary>
    async Task RunPipelineAsync(VariantPipeline pipeline)
    {
        var variant = pipeline.Variant;
        var postgresMissing = string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(PostgresVariable));
        if (postgresMissing)
            pipeline.Tests.SetException(new VariantStepFailedException(MissingPostgresMessage));

        GeneratedVariant generated;
        try
        {
            generated = await Generated(variant);
        }
        catch (Exception exception)
        {
            pipeline.Build.SetException(exception);
            pipeline.Tests.TrySetException(exception);
            return;
        }

        try
        {
            var build = await InPipelineSlotAsync($"{variant.Scenario}: build", () => RunLoggedAsync(
                ["build", generated.Directory, "-warnaserror", "-tl:off", "-nologo"], generated.Directory, TimeSpan.FromMinutes(15)));
            pipeline.Build.SetResult(build);

            // The variants whose suite runs elsewhere (the template source's, or a generated CI workflow's) are built only.
            if (postgresMissing || !Variants.RunsOwnSuite(variant))
                return;
            if (!build.Succeeded)
                pipeline.Tests.SetException(new VariantStepFailedException(build.Describe(
                    $"[{variant.Scenario}] The generated tests were not run because the build failed (see Variant_builds_without_warnings).",
                    tailLines: 20)));
            else
                pipeline.Tests.SetResult(await InPipelineSlotAsync($"{variant.Scenario}: suite", () => TestAsync(generated)));
        }
        catch (Exception exception)
        {
            pipeline.Build.TrySetException(exception);
            pipeline.Tests.TrySetException(exception);
        }
    }

    async Task<VariantTestRun> TestAsync(GeneratedVariant generated)
    {
        var scenario = generated.Variant.Scenario;
        var resultsDirectory = Path.Combine(ResultsDirectory, "variants", scenario);
        if (Directory.Exists(resultsDirectory))
            Directory.Delete(resultsDirectory, recursive: true);
        Directory.CreateDirectory(resultsDirectory);

        var result = await RunLoggedAsync(
            ["test", generated.Directory, "--no-build", "--logger", $"trx;LogFileName={scenario}.trx",
             "--results-directory", resultsDirectory, "-tl:off"],
            generated.Directory, TimeSpan.FromMinutes(20));
        var trxFiles = Directory.GetFiles(resultsDirectory, "*.trx", SearchOption.AllDirectories);
        return new VariantTestRun(generated.Variant, result, resultsDirectory, trxFiles.Length == 0 ? null : TrxReport.ReadAll(trxFiles));
    }

    public static string MissingPostgresMessage =>
        $"{PostgresVariable} is not set. The generated solutions' tests need a PostgreSQL server whose user can create databases. " +
        "Start a disposable one and export its connection string, e.g.:\n" +
        $"  export {PostgresVariable}=\"$(scripts/throwaway-postgres.sh start /tmp/pg-template-tests 55433)\"\n" +
        "and stop it afterwards with: scripts/throwaway-postgres.sh stop /tmp/pg-template-tests";

    async Task<CommandResult> RunTemplateEngineAsync(IReadOnlyList<string> arguments)
    {
        await templateEngine.WaitAsync();
        try
        {
            return await RunLoggedAsync(arguments, RunDirectory, TimeSpan.FromMinutes(3),
                new Dictionary<string, string?> { ["DOTNET_CLI_HOME"] = CliHomeDirectory });
        }
        finally
        {
            templateEngine.Release();
        }
    }

    async Task<CommandResult> RunLoggedAsync(IReadOnlyList<string> arguments, string workingDirectory, TimeSpan timeout,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        var result = await CommandRunner.RunDotnetAsync(arguments, workingDirectory, timeout, environment);
        Log($"{(result.TimedOut ? "timeout" : $"exit {result.ExitCode}"),-8} {result.Duration.TotalSeconds,6:F1} s  {result.CommandLine}");
        return result;
    }

    void Log(string line)
    {
        lock (logLock)
            File.AppendAllText(Path.Combine(ResultsDirectory, "commands.log"), $"{DateTime.UtcNow:HH:mm:ss.fff} {line}\n", Encoding.UTF8);
    }

    static void DeleteRunsOlderThanADay(string runsDirectory)
    {
        if (!Directory.Exists(runsDirectory))
            return;
        foreach (var directory in new DirectoryInfo(runsDirectory).GetDirectories())
        {
            if (directory.LastWriteTimeUtc > DateTime.UtcNow.AddDays(-1))
                continue;
            try { directory.Delete(recursive: true); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>One variant's build and test run: started once, each outcome awaited by its own tests.</summary>
    sealed class VariantPipeline
    {
        readonly Lazy<Task> started;

        public VariantPipeline(Variant variant, Func<VariantPipeline, Task> run)
        {
            Variant = variant;
            started = new Lazy<Task>(() => Task.Run(() => run(this)));
        }

        public Variant Variant { get; }
        public TaskCompletionSource<CommandResult> Build { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource<VariantTestRun> Tests { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Start() => _ = started.Value;
    }
}
