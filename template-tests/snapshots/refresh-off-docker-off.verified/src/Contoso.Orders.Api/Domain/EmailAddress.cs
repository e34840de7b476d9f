using System.Globalization;

namespace Contoso.Orders.Api.Domain;

/// <summary>
/// What the API accepts as an email address. Deliberately simple: one <c>@</c>, a dotted domain, no white space or
/// control characters, within the lengths RFC 5321 allows. Non-ASCII letters are accepted (RFC 6531).
/// </summary>
public static class EmailAddress
{
    public const int MaxLength = 254;
    private const int MaxLocalPartLength = 64;

    public static string Normalize(string email) => email.Trim().ToLowerInvariant();

    /// <summary>Null when the (trimmed) address is acceptable, otherwise why not.</summary>
    public static string? Problem(string? email)
    {
        if (string.IsNullOrWhiteSpace(email))
        {
            return "Email is required.";
        }

        var trimmed = email.Trim();
        if (trimmed.Length > MaxLength)
        {
            return $"Email must be at most {MaxLength} characters.";
        }

        var at = trimmed.IndexOf('@', StringComparison.Ordinal);
        var wellFormed = at > 0
            && at <= MaxLocalPartLength
            && at == trimmed.LastIndexOf('@')
            && !trimmed.Any(IsInvisible)
            && IsDomain(trimmed[(at + 1)..]);
        return wellFormed ? null : "Email is not a valid email address.";
    }

    private static bool IsInvisible(char c) =>
        char.IsWhiteSpace(c) || char.IsControl(c) || CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.Format;

    private static bool IsDomain(string domain)
    {
        var labels = domain.Split('.');
        return labels.Length >= 2 && labels.All(label => label.Length is > 0 and <= 63 && label[0] != '-' && label[^1] != '-');
    }
}
