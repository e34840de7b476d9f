using System.Text;

namespace AuthTemplate.TemplateTests;

/// <summary>
/// Compares a generated tree with a committed snapshot folder, in the spirit of Verify's directory snapshots:
/// <c>&lt;scenario&gt;.verified/</c> is the accepted tree, <c>&lt;scenario&gt;.received/</c> is written on a mismatch.
/// Text files are compared with CRLF read as LF; binary files byte by byte, except that a binary file larger than
/// <see cref="LargeBinary"/> bytes is kept as its SHA-256 (see <see cref="FileTree.WithLargeBinariesAsDigests"/>).
/// </summary>
public static class DirectorySnapshot
{
    public const int LargeBinary = 64 * 1024;

    const int MaxFilesListed = 40;
    const int MaxLinesPerFile = 5;
    const int MaxLineLength = 160;

    /// <summary>Returns null when the tree matches the verified snapshot, otherwise a readable failure message.</summary>
    public static string? Check(string snapshotsDirectory, string scenario, FileTree generated)
    {
        var received = generated.WithLargeBinariesAsDigests(LargeBinary);
        var verifiedDirectory = Path.Combine(snapshotsDirectory, scenario + ".verified");
        var receivedDirectory = Path.Combine(snapshotsDirectory, scenario + ".received");
        if (Directory.Exists(receivedDirectory))
            Directory.Delete(receivedDirectory, recursive: true);

        var acceptHint = $"If the new output is right, accept it: template-tests/accept-snapshots.sh {scenario}";
        if (!Directory.Exists(verifiedDirectory))
        {
            received.WriteTo(receivedDirectory);
            return $"[{scenario}] No verified snapshot yet. The generated tree ({received.Files.Count} files) was written to\n" +
                   $"  {receivedDirectory}\nReview it. {acceptHint}";
        }

        var differences = Compare(FileTree.Read(verifiedDirectory), received);
        if (differences is null)
            return null;

        received.WriteTo(receivedDirectory);
        return $"[{scenario}] The generated tree differs from {verifiedDirectory}\n" +
               $"The generated tree was written to {receivedDirectory}\n{differences}{acceptHint}";
    }

    /// <summary>Returns null when both trees hold the same files with the same content, otherwise a summary.</summary>
    public static string? Compare(FileTree verified, FileTree received)
    {
        var onlyVerified = verified.Paths.Where(path => !received.Contains(path)).ToList();
        var onlyReceived = received.Paths.Where(path => !verified.Contains(path)).ToList();
        var changed = verified.Paths
            .Where(received.Contains)
            .Select(path => (path, difference: DescribeDifference(verified.Files[path], received.Files[path])))
            .Where(entry => entry.difference is not null)
            .ToList();

        if (onlyVerified.Count == 0 && onlyReceived.Count == 0 && changed.Count == 0)
            return null;

        var summary = new StringBuilder();
        AppendList(summary, "Files only in verified (no longer generated)", onlyVerified);
        AppendList(summary, "Files only in received (newly generated)", onlyReceived);
        if (changed.Count > 0)
        {
            summary.AppendLine($"Changed files ({changed.Count}):");
            foreach (var (path, difference) in changed.Take(MaxFilesListed))
                summary.AppendLine($"  {path}").Append(difference);
            if (changed.Count > MaxFilesListed)
                summary.AppendLine($"  ... and {changed.Count - MaxFilesListed} more");
        }
        return summary.ToString();
    }

    static void AppendList(StringBuilder summary, string title, IReadOnlyList<string> paths)
    {
        if (paths.Count == 0)
            return;
        summary.AppendLine($"{title} ({paths.Count}):");
        foreach (var path in paths.Take(MaxFilesListed))
            summary.AppendLine($"  {path}");
        if (paths.Count > MaxFilesListed)
            summary.AppendLine($"  ... and {paths.Count - MaxFilesListed} more");
    }

    static string? DescribeDifference(byte[] verified, byte[] received)
    {
        var verifiedText = FileTree.AsText(verified);
        var receivedText = FileTree.AsText(received);
        if (verifiedText is null || receivedText is null)
        {
            return verified.AsSpan().SequenceEqual(received)
                ? null
                : $"    binary content differs ({verified.Length} bytes verified, {received.Length} bytes received)\n";
        }
        if (verifiedText == receivedText)
            return null;

        var verifiedLines = verifiedText.Split('\n');
        var receivedLines = receivedText.Split('\n');
        var differing = Enumerable.Range(0, Math.Max(verifiedLines.Length, receivedLines.Length))
            .Where(index => index >= verifiedLines.Length || index >= receivedLines.Length || verifiedLines[index] != receivedLines[index])
            .ToList();

        var description = new StringBuilder();
        foreach (var index in differing.Take(MaxLinesPerFile))
        {
            description.AppendLine($"    line {index + 1}:");
            description.AppendLine($"      verified: {LineAt(verifiedLines, index)}");
            description.AppendLine($"      received: {LineAt(receivedLines, index)}");
        }
        if (differing.Count > MaxLinesPerFile)
            description.AppendLine($"    ... {differing.Count - MaxLinesPerFile} more differing lines " +
                                   $"(verified has {verifiedLines.Length} lines, received {receivedLines.Length})");
        return description.ToString();
    }

    static string LineAt(string[] lines, int index)
    {
        if (index >= lines.Length)
            return "(no such line)";
        var line = lines[index];
        return line.Length <= MaxLineLength ? $"\"{line}\"" : $"\"{line[..MaxLineLength]}\"... ({line.Length} chars)";
    }
}
