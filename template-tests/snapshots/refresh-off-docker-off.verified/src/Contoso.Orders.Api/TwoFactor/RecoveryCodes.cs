using System.Security.Cryptography;
using Contoso.Orders.Api.Configuration;
using Microsoft.Extensions.Options;

namespace Contoso.Orders.Api.TwoFactor;

/// <summary>
/// Codes for a lost phone: ten, each twelve characters from an alphabet without look-alikes (59 bits), shown once as
/// <c>XXXX-XXXX-XXXX</c> and stored only as BCrypt hashes (ASVS 6.5.2: fewer than 112 bits need a password hash).
/// The cost is capped at 10: a code is random, unlike a password, and a sign-in may compare it with ten hashes.
/// </summary>
public sealed class RecoveryCodes(IOptions<AuthSettings> settings)
{
    public const int Count = 10;
    public const int Length = 12;
    public const int MaxWorkFactor = 10;

    private const string Alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";

    private readonly int _workFactor = Math.Min(settings.Value.BcryptWorkFactor, MaxWorkFactor);

    /// <summary>A new set: the codes to show, and their hashes to store.</summary>
    public (List<string> Codes, List<string> Hashes) NewSet()
    {
        var codes = Enumerable.Range(0, Count).Select(_ => RandomNumberGenerator.GetString(Alphabet, Length)).ToList();
        return (codes.Select(Format).ToList(), codes.Select(code => BCrypt.Net.BCrypt.HashPassword(code, _workFactor)).ToList());
    }

    /// <summary>The code as typed, without separators or case; null when it cannot be a recovery code.</summary>
    public static string? Normalize(string typed)
    {
        var code = new string(typed.Where(c => c is not ('-' or ' ')).Select(char.ToUpperInvariant).ToArray());
        return code.Length == Length && code.All(c => Alphabet.Contains(c, StringComparison.Ordinal)) ? code : null;
    }

    public static bool Matches(string normalizedCode, string hash) => BCrypt.Net.BCrypt.Verify(normalizedCode, hash);

    private static string Format(string code) => $"{code[..4]}-{code[4..8]}-{code[8..]}";
}
