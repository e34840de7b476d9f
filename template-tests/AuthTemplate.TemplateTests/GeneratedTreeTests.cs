namespace AuthTemplate.TemplateTests;

public sealed class GeneratedTreeTests
{
    [Theory]
    [MemberData(nameof(Variants.Table), MemberType = typeof(Variants))]
    public async Task Generated_tree_matches_snapshot(Variant variant)
    {
        var generated = await TemplateRun.Current.Generated(variant);

        var mismatch = DirectorySnapshot.Check(TemplateRepository.SnapshotsDirectory, variant.Scenario, generated.Files);

        Assert.True(mismatch is null, mismatch + $"\nCommand: {generated.Instantiation.CommandLine}");
    }

    [Theory]
    [MemberData(nameof(Variants.Table), MemberType = typeof(Variants))]
    public async Task Verified_snapshot_files_are_not_ignored_by_git(Variant variant)
    {
        var verified = $"template-tests/snapshots/{variant.Scenario}.verified";
        var ignored = await CommandRunner.RunAsync("git",
            ["ls-files", "--others", "--ignored", "--exclude-standard", "--", verified],
            TemplateRepository.Root, TimeSpan.FromMinutes(1));

        Assert.True(ignored.Succeeded, ignored.Describe("git could not list ignored files."));
        Assert.True(ignored.StandardOutput.Trim().Length == 0,
            $"[{variant.Scenario}] git ignores these snapshot files, so a commit would leave them out and the snapshot " +
            $"test would fail on a fresh clone:\n{ignored.StandardOutput.TrimEnd()}");
    }
}
