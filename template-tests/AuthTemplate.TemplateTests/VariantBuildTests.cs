using System.Text.RegularExpressions;

namespace AuthTemplate.TemplateTests;

public sealed partial class VariantBuildTests
{
    [Theory]
    [MemberData(nameof(Variants.Table), MemberType = typeof(Variants))]
    public async Task Variant_builds_without_warnings(Variant variant)
    {
        var build = await TemplateRun.Current.Built(variant);

        Assert.True(build.Succeeded, build.Describe(
            $"[{variant.Scenario}] The generated solution does not build with warnings as errors.",
            details: "Errors:\n" + string.Join('\n', ErrorLines(build.Output).Select(line => "  " + line))));
    }

    [Theory]
    [MemberData(nameof(Variants.WithOwnSuite), MemberType = typeof(Variants))]
    public async Task Variant_tests_pass_against_postgres(Variant variant)
    {
        var run = await TemplateRun.Current.Tested(variant);

        var report = run.Report;
        var details = report is null
            ? $"No TRX file was written to {run.ResultsDirectory}."
            : $"TRX ({run.ResultsDirectory}): {report}";
        Assert.True(run.Command.Succeeded, run.Command.Describe($"[{variant.Scenario}] The generated tests failed.", details: details));
        Assert.True(report is not null, run.Command.Describe($"[{variant.Scenario}] The generated tests wrote no TRX file.", details: details));
        Assert.True(report.Executed > 0, run.Command.Describe($"[{variant.Scenario}] The generated tests ran no test.", details: details));
        Assert.True(report.Failed == 0, run.Command.Describe($"[{variant.Scenario}] The TRX file reports failed tests.", details: details));
    }

    [Fact]
    public void Each_combination_of_the_switches_that_change_code_has_its_suite_run_exactly_once()
    {
        // All on is the template source's own suite; the others run here, each in one variant with Docker on.
        static (bool Refresh, bool Rbac) Combination(Variant variant) => (!Variants.IsOff(variant, "--refresh-tokens"), !Variants.IsOff(variant, "--rbac"));
        var suites = Variants.OwnSuites.Append(Variants.WorkflowVariant).Select(Variants.Find).ToList();

        Assert.All(suites, variant => Assert.True(Variants.HasDocker(variant), $"{variant.Scenario} leaves out the Docker variant's tests."));
        Assert.Equal(
            new[] { (true, false), (false, true), (false, false) }.OrderBy(pair => pair.ToString()),
            suites.Select(Combination).OrderBy(pair => pair.ToString()));
    }

    /// <summary>The distinct MSBuild error and warning lines of a build's output, at most 40.</summary>
    static IEnumerable<string> ErrorLines(string output) =>
        output.Split('\n')
            .Select(line => line.Trim())
            .Where(line => DiagnosticLine().IsMatch(line))
            .Distinct()
            .Take(40);

    [GeneratedRegex(@"\b(error|warning)\s+[A-Z]{2,}[0-9]+\s*:")]
    private static partial Regex DiagnosticLine();
}
