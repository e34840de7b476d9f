using System.Text;

namespace AuthTemplate.TemplateTests;

/// <summary>The snapshot comparison itself, on small in-memory trees.</summary>
public sealed class DirectorySnapshotTests
{
    [Fact]
    public void Trees_that_differ_only_in_line_endings_match()
    {
        var verified = Tree(("README.md", "one\ntwo\n"), ("src/App.cs", "class App { }\n"));
        var received = Tree(("README.md", "one\r\ntwo\r\n"), ("src/App.cs", "class App { }\n"));

        Assert.Null(DirectorySnapshot.Compare(verified, received));
    }

    [Fact]
    public void Summary_lists_missing_new_and_changed_files_with_the_first_differing_line()
    {
        var verified = Tree(("gone.txt", "x"), ("same.txt", "a\nb\n"), ("changed.cs", "line 1\nold line 2\nline 3\n"));
        var received = Tree(("new.txt", "y"), ("same.txt", "a\nb\n"), ("changed.cs", "line 1\nnew line 2\nline 3\n"));

        var summary = DirectorySnapshot.Compare(verified, received);

        Assert.NotNull(summary);
        Assert.Contains("Files only in verified (no longer generated) (1):\n  gone.txt", summary);
        Assert.Contains("Files only in received (newly generated) (1):\n  new.txt", summary);
        Assert.Contains("  changed.cs\n    line 2:\n      verified: \"old line 2\"\n      received: \"new line 2\"", summary);
        Assert.DoesNotContain("same.txt", summary);
    }

    [Fact]
    public void Binary_files_are_compared_byte_by_byte()
    {
        var verified = new FileTree(new Dictionary<string, byte[]> { ["icon.png"] = [0x89, 0x00, 0x01] });
        var same = new FileTree(new Dictionary<string, byte[]> { ["icon.png"] = [0x89, 0x00, 0x01] });
        var changed = new FileTree(new Dictionary<string, byte[]> { ["icon.png"] = [0x89, 0x00, 0x02, 0x03] });

        Assert.Null(DirectorySnapshot.Compare(verified, same));
        Assert.Contains("binary content differs (3 bytes verified, 4 bytes received)", DirectorySnapshot.Compare(verified, changed));
    }

    [Fact]
    public void A_large_binary_file_is_kept_as_its_digest_and_a_change_to_it_shows()
    {
        var large = new byte[DirectorySnapshot.LargeBinary + 1];
        large[0] = 0;
        var tree = new FileTree(new Dictionary<string, byte[]> { ["list.gz"] = large, ["small.bin"] = [0, 1, 2] });
        var changedLarge = (byte[])large.Clone();
        changedLarge[^1] = 7;

        var digested = tree.WithLargeBinariesAsDigests(DirectorySnapshot.LargeBinary);
        var changed = new FileTree(new Dictionary<string, byte[]> { ["list.gz"] = changedLarge, ["small.bin"] = [0, 1, 2] })
            .WithLargeBinariesAsDigests(DirectorySnapshot.LargeBinary);

        Assert.Equal(["list.gz.sha256", "small.bin"], digested.Paths);
        Assert.Matches($"^[0-9a-f]{{64}}  {large.Length} bytes\n$", digested.ReadText("list.gz.sha256"));
        Assert.Contains("list.gz.sha256", DirectorySnapshot.Compare(digested, changed));
    }

    [Fact]
    public void Long_lines_are_cut_in_the_summary()
    {
        var summary = DirectorySnapshot.Compare(Tree(("a.txt", new string('a', 1000))), Tree(("a.txt", new string('b', 1000))));

        Assert.NotNull(summary);
        Assert.Contains("... (1000 chars)", summary);
        Assert.True(summary.Length < 1000, summary);
    }

    [Fact]
    public void Check_writes_received_on_mismatch_and_removes_it_on_match()
    {
        var snapshots = Path.Combine(Path.GetTempPath(), "authtemplate-snapshot-check-" + Guid.NewGuid().ToString("N"));
        try
        {
            var tree = Tree(("README.md", "hello\n"), (".github/workflows/ci.yml", "on: push\n"));

            var first = DirectorySnapshot.Check(snapshots, "demo", tree);
            Assert.NotNull(first);
            Assert.Contains("No verified snapshot yet", first);
            Assert.Equal("on: push\n", File.ReadAllText(Path.Combine(snapshots, "demo.received", ".github", "workflows", "ci.yml")));

            Directory.Move(Path.Combine(snapshots, "demo.received"), Path.Combine(snapshots, "demo.verified"));
            Tree(("stale.txt", "x")).WriteTo(Path.Combine(snapshots, "demo.received"));

            Assert.Null(DirectorySnapshot.Check(snapshots, "demo", tree));
            Assert.False(Directory.Exists(Path.Combine(snapshots, "demo.received")));
        }
        finally
        {
            if (Directory.Exists(snapshots))
                Directory.Delete(snapshots, recursive: true);
        }
    }

    static FileTree Tree(params (string path, string text)[] files) =>
        new(files.ToDictionary(file => file.path, file => Encoding.UTF8.GetBytes(file.text)));
}
