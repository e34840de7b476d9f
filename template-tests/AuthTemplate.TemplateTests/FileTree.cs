using System.Text;

namespace AuthTemplate.TemplateTests;

/// <summary>The files of a folder read into memory, keyed by relative path with '/' separators.</summary>
public sealed class FileTree(IReadOnlyDictionary<string, byte[]> files)
{
    static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public IReadOnlyDictionary<string, byte[]> Files { get; } = files;

    public IEnumerable<string> Paths => Files.Keys.Order(StringComparer.Ordinal);

    public static FileTree Read(string directory)
    {
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        if (!Directory.Exists(directory))
            return new FileTree(files);

        foreach (var path in Directory.EnumerateFiles(directory, "*", new EnumerationOptions
                 {
                     RecurseSubdirectories = true,
                     AttributesToSkip = 0,
                     IgnoreInaccessible = false,
                 }))
        {
            files[Path.GetRelativePath(directory, path).Replace('\\', '/')] = File.ReadAllBytes(path);
        }
        return new FileTree(files);
    }

    public bool Contains(string relativePath) => Files.ContainsKey(relativePath);

    public string ReadText(string relativePath) => Encoding.UTF8.GetString(Files[relativePath]);

    public void WriteTo(string directory)
    {
        foreach (var (relativePath, content) in Files)
        {
            var path = Path.Combine(directory, relativePath);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, content);
        }
    }

    /// <summary>
    /// This tree with each binary file larger than <paramref name="threshold"/> bytes replaced by <c>PATH.sha256</c>, a
    /// line of its SHA-256 and size: snapshots then record such a file's identity without holding its bytes.
    /// </summary>
    public FileTree WithLargeBinariesAsDigests(int threshold)
    {
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (path, content) in Files)
        {
            if (content.Length > threshold && AsText(content) is null)
                files[path + ".sha256"] = Encoding.UTF8.GetBytes(
                    $"{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content))}  {content.Length} bytes\n");
            else
                files[path] = content;
        }
        return new FileTree(files);
    }

    /// <summary>The text of a file with CRLF turned into LF, or null for a binary file (a NUL byte or invalid UTF-8).</summary>
    public static string? AsText(byte[] content)
    {
        if (content.AsSpan(0, Math.Min(content.Length, 8000)).Contains((byte)0))
            return null;
        try
        {
            return StrictUtf8.GetString(content).Replace("\r\n", "\n");
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    /// <summary>Resolves <paramref name="relativePath"/> against the folder of <paramref name="fromFile"/>, both tree-relative.</summary>
    public static string Combine(string fromFile, string relativePath)
    {
        var segments = new List<string>(fromFile.Split('/')[..^1]);
        foreach (var segment in relativePath.Replace('\\', '/').Split('/'))
        {
            if (segment is "" or ".")
                continue;
            if (segment == ".." && segments.Count > 0)
                segments.RemoveAt(segments.Count - 1);
            else
                segments.Add(segment);
        }
        return string.Join('/', segments);
    }
}
