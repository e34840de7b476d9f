using System.Text.RegularExpressions;

namespace AuthTemplate.TemplateTests;

/// <summary>How <c>dotnet new authapi</c> behaves on the command line, in the run's isolated hive.</summary>
public sealed class CommandLineTests
{
    static readonly string[] PublicOptions = ["--refresh-tokens", "--rbac", "--docker", "--skip-restore"];
    static readonly string[] HiddenOptions = ["--http-port", "--https-port"];

    [Fact]
    public async Task Invalid_bool_value_is_rejected_without_writing_output()
    {
        var outputDirectory = TemplateRun.Current.FreshDirectory("X");

        var result = await TemplateRun.Current.RunDotnetNewAsync("authapi", "-n", "X", "-o", outputDirectory, "--rbac", "maybe");

        Assert.False(result.Succeeded, result.Describe("`--rbac maybe` was accepted."));
        // dotnet new takes a bool option's value only when it parses as a bool; any other word is reported as an
        // unknown option ("'maybe' is not a valid option"), so the message names either the option or the value.
        Assert.True(result.Output.Contains("rbac", StringComparison.OrdinalIgnoreCase) || result.Output.Contains("'maybe'", StringComparison.Ordinal),
            result.Describe("The error output names neither the rbac option nor the rejected value."));
        Assert.True(!Directory.Exists(outputDirectory) || !Directory.EnumerateFileSystemEntries(outputDirectory).Any(),
            result.Describe($"A rejected command left files in {outputDirectory}."));
    }

    [Fact]
    public async Task Help_describes_public_options_and_hides_pins()
    {
        var result = await TemplateRun.Current.RunDotnetNewAsync("authapi", "-h");

        Assert.True(result.Succeeded, result.Describe("`dotnet new authapi -h` failed."));
        var lines = result.Output.Split('\n');
        var undescribed = PublicOptions.Where(option => !lines.Any(line => HasDescription(line, option))).ToList();
        var leaked = HiddenOptions.Where(option => result.Output.Contains(option, StringComparison.Ordinal)).ToList();

        Assert.True(undescribed.Count == 0,
            result.Describe($"Help does not list these options with a description: {string.Join(", ", undescribed)}", tailLines: 80));
        Assert.True(leaked.Count == 0,
            result.Describe($"Help lists hidden options: {string.Join(", ", leaked)}", tailLines: 80));
    }

    /// <summary>An option line in System.CommandLine help: "  -r, --option &lt;value&gt;  Description".</summary>
    static bool HasDescription(string line, string option)
    {
        var match = Regex.Match(line, $@"^\s+(?:-[\w-]+,\s+)*{Regex.Escape(option)}(?:\s+<[^>]*>)?\s{{2,}}(\S.*)$");
        return match.Success && !match.Groups[1].Value.StartsWith("Type:", StringComparison.Ordinal);
    }
}
