using System.IO.Compression;
using System.Reflection;

namespace Contoso.Orders.Api.Passwords;

/// <summary>
/// The passwords refused as too common: <c>common-passwords.txt.gz</c> (the 100 000 most used ones that the length
/// rules would let through, see the README) and <c>blocked-passwords.txt</c> (a project's own additions), both embedded
/// in the assembly. Compared without regard to letter case.
/// <para>
/// Held as 64-bit fingerprints, sorted and indexed by their top 16 bits: about 1 MB for the whole list instead of
/// the 8 MB or so of a set of strings, and a lookup reads one index entry and, on average, two fingerprints. Two
/// different passwords share a fingerprint with a probability of about 1 in 2^64 / 100 000; such a collision would
/// only refuse a password, never let one through. Loaded on first use, once per process.
/// </para>
/// </summary>
public sealed class CommonPasswords
{
    private const int IndexBits = 16;

    private static readonly Lazy<CommonPasswords> Embedded = new(LoadEmbedded);

    private readonly ulong[] _fingerprints;

    /// <summary>Where each top-16-bit bucket starts in <see cref="_fingerprints"/> (one more entry for the end).</summary>
    private readonly int[] _bucketStarts;

    private CommonPasswords(IEnumerable<string> passwords)
    {
        _fingerprints = passwords.Select(Fingerprint).Distinct().Order().ToArray();
        _bucketStarts = new int[(1 << IndexBits) + 1];
        foreach (var fingerprint in _fingerprints)
        {
            _bucketStarts[Bucket(fingerprint) + 1]++;
        }

        for (var bucket = 1; bucket < _bucketStarts.Length; bucket++)
        {
            _bucketStarts[bucket] += _bucketStarts[bucket - 1];
        }
    }

    /// <summary>The embedded list, loaded on first use.</summary>
    public static CommonPasswords List => Embedded.Value;

    public int Count => _fingerprints.Length;

    /// <summary>What the list holds in memory, in bytes.</summary>
    public long SizeInBytes => (_fingerprints.LongLength * sizeof(ulong)) + (_bucketStarts.LongLength * sizeof(int));

    public bool Contains(string password)
    {
        var fingerprint = Fingerprint(password);
        var bucket = Bucket(fingerprint);
        for (var i = _bucketStarts[bucket]; i < _bucketStarts[bucket + 1]; i++)
        {
            if (_fingerprints[i] == fingerprint)
            {
                return true;
            }
        }

        return false;
    }

    public static CommonPasswords From(IEnumerable<string> passwords) => new(passwords);

    private static CommonPasswords LoadEmbedded()
    {
        var assembly = typeof(CommonPasswords).Assembly;
        return new CommonPasswords(
            Lines(new GZipStream(Resource(assembly, "common-passwords.txt.gz"), CompressionMode.Decompress), comments: false)
                .Concat(Lines(Resource(assembly, "blocked-passwords.txt"), comments: true)));
    }

    private static Stream Resource(Assembly assembly, string name) =>
        assembly.GetManifestResourceStream($"Passwords.{name}")
        ?? throw new InvalidOperationException($"The embedded password list {name} is missing from the assembly.");

    /// <summary>One password per line; blank lines are skipped, and so are comments (lines starting with #) where a file has them.</summary>
    private static IEnumerable<string> Lines(Stream stream, bool comments)
    {
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0 && !(comments && line.StartsWith('#')))
            {
                yield return line;
            }
        }
    }

    /// <summary>FNV-1a over the lower-cased UTF-16 text, then a final mix so that the top bits spread evenly.</summary>
    private static ulong Fingerprint(string password)
    {
        var hash = 14_695_981_039_346_656_037UL;
        foreach (var character in password)
        {
            hash = (hash ^ char.ToLowerInvariant(character)) * 1_099_511_628_211UL;
        }

        hash ^= hash >> 33;
        hash *= 0xff51afd7ed558ccdUL;
        hash ^= hash >> 33;
        return hash;
    }

    private static int Bucket(ulong fingerprint) => (int)(fingerprint >> (64 - IndexBits));
}
