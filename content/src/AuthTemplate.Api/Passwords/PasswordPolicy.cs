using System.Globalization;
using System.Text;

namespace AuthTemplate.Api.Security;

/// <summary>
/// Length rules only (no composition rules, as NIST SP 800-63B advises). The upper bound is BCrypt's: it reads 72
/// bytes and ignores the rest, so a longer password is refused rather than silently truncated.
/// </summary>
public static class PasswordPolicy
{
    public const int MinLength = 8;
    public const int MaxUtf8Bytes = 72;

    /// <summary>Null when the password is acceptable, otherwise why not (never echoing the password).</summary>
    public static string? Problem(string? password, string label = "Password")
    {
        if (string.IsNullOrEmpty(password))
        {
            return $"{label} is required.";
        }

        if (new StringInfo(password).LengthInTextElements < MinLength)
        {
            return $"{label} must be at least {MinLength} characters.";
        }

        return Encoding.UTF8.GetByteCount(password) > MaxUtf8Bytes
            ? $"{label} must be at most {MaxUtf8Bytes} bytes in UTF-8."
            : null;
    }
}
