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
    [MemberData(nameof(Variants.Table), MemberType = typeof(Variants))]
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
