using System.Data.Common;
using Xunit.Abstractions;

namespace AuthTemplate.TemplateTests;

/// <summary>
/// A generated project's own CI workflow, run the way GitHub Actions runs it: the build-and-test job's <c>run:</c>
/// steps, read from the generated <c>.github/workflows/ci.yml</c>, with the job's environment, against the PostgreSQL
/// its service sets up (user <c>postgres</c>, password <c>postgres</c>). The workflow is the default variant's, word
/// for word; it runs in <see cref="Variants.WorkflowVariant"/>, whose suite its test step is (see <see cref="Variants.OwnSuites"/>).
/// </summary>
[Collection(ConventionalPostgres.CollectionName)]
public sealed class GeneratedWorkflowTests(ConventionalPostgres postgres, ITestOutputHelper output)
{
    const string WorkflowPath = ".github/workflows/ci.yml";
    const string JobId = "build-and-test";

    [Fact]
    public async Task The_default_variants_ci_workflow_passes_against_a_postgres_postgres_server()
    {
        var variant = Variants.Find(Variants.WorkflowVariant);
        var generated = await TemplateRun.Current.Generated(variant);
        var workflow = generated.Files.ReadText(WorkflowPath);
        Assert.True(workflow == (await TemplateRun.Current.Generated(Variants.Find("default"))).Files.ReadText(WorkflowPath),
            $"[{variant.Scenario}] {WorkflowPath} differs from the default variant's: this test runs one for both.");
        var job = GitHubWorkflow.ReadJob(workflow, JobId);

        Assert.True(job.Environment.TryGetValue(TemplateRun.PostgresVariable, out var documented),
            $"[{variant.Scenario}] Job {JobId} of {WorkflowPath} sets no {TemplateRun.PostgresVariable}.");
        var settings = new DbConnectionStringBuilder { ConnectionString = documented };
        Assert.True(Says(settings, "Username", ConventionalPostgres.User) && Says(settings, "Password", ConventionalPostgres.Password)
                    && Says(settings, "Port", ConventionalPostgres.DocumentedPort.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            $"[{variant.Scenario}] {WorkflowPath} sets {TemplateRun.PostgresVariable}={documented}; this test runs the job against " +
            $"the server its postgres service describes, user {ConventionalPostgres.User} with password {ConventionalPostgres.Password} on port {ConventionalPostgres.DocumentedPort}.");

        var port = await postgres.Port;
        output.WriteLine(postgres.Describe(port));

        var directory = Path.Combine(TemplateRun.Current.FreshDirectory("ci"), variant.Name);
        generated.Files.WriteTo(directory);

        var environment = new Dictionary<string, string?>
        {
            // What the runner sets, then the job's env; nothing of this test run's own environment is meant for the job.
            ["CI"] = "true",
            ["TEST_RESULTS_DIR"] = null,
        };
        foreach (var (key, value) in job.Environment)
            environment[key] = value;
        environment[TemplateRun.PostgresVariable] = ConventionalPostgres.WithPort(documented, port);
        output.WriteLine($"{TemplateRun.PostgresVariable}={environment[TemplateRun.PostgresVariable]}");

        var runSteps = await TemplateRun.Current.InPipelineSlotAsync($"{variant.Scenario}: generated CI workflow (restore, Release build, suite)",
            () => RunStepsAsync(variant, job, directory, environment));

        Assert.True(runSteps > 0, $"[{variant.Scenario}] Job {JobId} of {WorkflowPath} has no run: step.");
        var resultsFiles = Directory.GetFiles(directory, "*.trx", SearchOption.AllDirectories);
        Assert.True(resultsFiles.Length > 0, $"[{variant.Scenario}] The workflow's steps wrote no TRX file under {directory}.");
        var report = TrxReport.ReadAll(resultsFiles);
        output.WriteLine($"TRX: {report}");
        // Counted with the run's other results: this is the variant's suite.
        var counted = Path.Combine(TemplateRun.Current.ResultsDirectory, "variants", $"{variant.Scenario}-workflow");
        Directory.CreateDirectory(counted);
        foreach (var file in resultsFiles)
            File.Copy(file, Path.Combine(counted, Path.GetFileName(file)), overwrite: true);
        Assert.True(report.Executed > 0, $"[{variant.Scenario}] The workflow's test step ran no test: {report}");
        Assert.True(report.Failed == 0, $"[{variant.Scenario}] The workflow's test step reports failed tests " +
            $"({string.Join(", ", resultsFiles.Select(file => Path.GetRelativePath(directory, file)))}): {report}");
    }

    async Task<int> RunStepsAsync(Variant variant, WorkflowJob job, string directory, IReadOnlyDictionary<string, string?> jobEnvironment)
    {
        var ran = 0;
        foreach (var step in job.Steps)
        {
            if (step.Run is null)
            {
                // A setup action (checkout, setup-dotnet, upload-artifact): this machine is already set up.
                output.WriteLine($"{step}: skipped, uses {step.Uses}");
                continue;
            }
            Assert.True(step.Shell is null or "bash", $"[{variant.Scenario}] {step} asks for shell '{step.Shell}'; only bash is emulated.");
            Assert.True(step.Condition is null or "always()" or "success()", $"[{variant.Scenario}] {step} has `if: {step.Condition}`, which is not evaluated here.");
            Assert.False(step.Run.Contains("${{", StringComparison.Ordinal) || step.Environment.Values.Any(value => value.Contains("${{", StringComparison.Ordinal)),
                $"[{variant.Scenario}] {step} uses a ${{{{ }}}} expression, which is not evaluated here.");

            var environment = new Dictionary<string, string?>(jobEnvironment);
            foreach (var (key, value) in step.Environment)
                environment[key] = value;
            var workingDirectory = step.WorkingDirectory is null ? directory : Path.Combine(directory, step.WorkingDirectory);

            // GitHub's default shell on Linux runners.
            var result = await CommandRunner.RunAsync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", step.Run],
                workingDirectory, TimeSpan.FromMinutes(20), environment);
            output.WriteLine($"{step}: exit {result.ExitCode}, {result.Duration.TotalSeconds:F1} s: {step.Run.Trim()}");
            var results = Directory.GetFiles(directory, "*.trx", SearchOption.AllDirectories);
            Assert.True(result.Succeeded, result.Describe($"[{variant.Scenario}] {WorkflowPath}, job {JobId}, {step} failed: {step.Run.Trim()}",
                tailLines: 80, details: results.Length == 0 ? null : $"TRX: {TrxReport.ReadAll(results)}"));
            ran++;
        }
        return ran;
    }

    static bool Says(DbConnectionStringBuilder settings, string key, string expected) =>
        settings.TryGetValue(key, out var value) && string.Equals(value?.ToString(), expected, StringComparison.Ordinal);
}
