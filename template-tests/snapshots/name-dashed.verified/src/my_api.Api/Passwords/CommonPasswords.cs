using System.IO.Compression;
using System.Reflection;
using System.Text;

namespace my_api.Api.Passwords;

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

    private CommonPasswords(IEnumerable<ulong> fingerprints)
    {
        ulong[] sorted = [.. fingerprints];
        Array.Sort(sorted);
        _fingerprints = sorted[..Deduplicate(sorted)];
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

    public static CommonPasswords From(IEnumerable<string> passwords) => new(passwords.Select(password => Fingerprint(password)));

    /// <summary>
    /// Reads the lists as bytes, without a string per password: a password set in configuration is checked at
    /// start-up, so the load can be on the start-up path (about 40 ms this way, against 80 ms through strings).
    /// </summary>
    private static CommonPasswords LoadEmbedded()
    {
        var assembly = typeof(CommonPasswords).Assembly;
        using var common = new GZipStream(Resource(assembly, "common-passwords.txt.gz"), CompressionMode.Decompress);
        using var blocked = Resource(assembly, "blocked-passwords.txt");
        return new CommonPasswords([.. Fingerprints(common, comments: false), .. Fingerprints(blocked, comments: true)]);
    }

    /// <summary>Moves each distinct value of a sorted array to its front; returns how many there are.</summary>
    private static int Deduplicate(ulong[] sorted)
    {
        var count = 0;
        foreach (var value in sorted)
        {
            if (count == 0 || value != sorted[count - 1])
            {
                sorted[count++] = value;
            }
        }

        return count;
    }

    private static Stream Resource(Assembly assembly, string name) =>
        assembly.GetManifestResourceStream($"Passwords.{name}")
        ?? throw new InvalidOperationException($"The embedded password list {name} is missing from the assembly.");

    /// <summary>
    /// The fingerprint of each line of UTF-8 text; blank lines are skipped, and so are comments (lines starting with #)
    /// where a file has them.
    /// </summary>
    private static List<ulong> Fingerprints(Stream stream, bool comments)
    {
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        var text = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
        if (text.StartsWith(Encoding.UTF8.Preamble))
        {
            text = text[Encoding.UTF8.Preamble.Length..];
        }

        var fingerprints = new List<ulong>();
        foreach (var range in text.Split((byte)'\n'))
        {
            var line = text[range].TrimEnd((byte)'\r');
            if (line.Length > 0 && !(comments && line[0] == (byte)'#'))
            {
                fingerprints.Add(Fingerprint(line));
            }
        }

        return fingerprints;
    }

    /// <summary>The fingerprint of a line of UTF-8 text, decoded into a buffer rather than a string.</summary>
    private static ulong Fingerprint(ReadOnlySpan<byte> line)
    {
        var characters = line.Length <= 256 ? stackalloc char[line.Length] : new char[line.Length];
        return Fingerprint(characters[..Encoding.UTF8.GetChars(line, characters)]);
    }

    /// <summary>FNV-1a over the lower-cased UTF-16 text, then a final mix so that the top bits spread evenly.</summary>
    private static ulong Fingerprint(ReadOnlySpan<char> password)
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
