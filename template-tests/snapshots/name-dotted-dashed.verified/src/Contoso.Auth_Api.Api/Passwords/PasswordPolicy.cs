using System.Globalization;
using System.Text;
using Contoso.Auth_Api.Api.Email;
using Microsoft.Extensions.Options;

namespace Contoso.Auth_Api.Api.Passwords;

/// <summary>
/// The one password policy, for every password a person or the configuration sets. Length rules, no composition rules
/// (NIST SP 800-63B advises against them), and a refusal of what attackers try first: the most common passwords
/// (OWASP ASVS 6.2.4), the product's name and the account's own address. The upper bound is BCrypt's: it reads 72
/// bytes and ignores the rest, so a longer password is refused rather than silently truncated. Messages say which
/// rule, never the password.
/// </summary>
public sealed class PasswordPolicy(IOptions<EmailSettings> email, BreachedPasswords breached)
{
    public const int MinLength = 8;
    public const int MaxUtf8Bytes = 72;

    /// <summary>Shorter name parts and address local parts would refuse too many good passwords by accident.</summary>
    private const int MinPartLength = 4;

    private readonly string[] _productNameParts = NameParts(email.Value.ProductName);

    /// <summary>
    /// Null when the password is acceptable, otherwise why not. <paramref name="accountEmail"/> is the address of the
    /// account the password is for, when it is known.
    /// </summary>
    public string? Problem(string? password, string? accountEmail = null, string label = "Password")
    {
        if (string.IsNullOrEmpty(password))
        {
            return $"{label} is required.";
        }

        if (new StringInfo(password).LengthInTextElements < MinLength)
        {
            return $"{label} must be at least {MinLength} characters.";
        }

        if (Encoding.UTF8.GetByteCount(password) > MaxUtf8Bytes)
        {
            return $"{label} must be at most {MaxUtf8Bytes} bytes in UTF-8.";
        }

        if (CommonPasswords.List.Contains(password))
        {
            return $"{label} is one of the most commonly used passwords, which attackers try first: choose a longer phrase of unrelated words.";
        }

        if (_productNameParts.Any(part => password.Contains(part, StringComparison.OrdinalIgnoreCase)))
        {
            return $"{label} must not contain the product's name.";
        }

        return EmailLocalPart(accountEmail) is { } localPart && password.Contains(localPart, StringComparison.OrdinalIgnoreCase)
            ? $"{label} must not contain the account's email address."
            : null;
    }

    /// <summary>
    /// <see cref="Problem"/>, then, where it is turned on, whether the password appears in a known breach (see
    /// <see cref="BreachedPasswords"/>).
    /// </summary>
    public async Task<string?> ProblemAsync(string? password, string? accountEmail, string label, CancellationToken cancellationToken)
    {
        if (Problem(password, accountEmail, label) is { } problem)
        {
            return problem;
        }

        return await breached.IsBreachedAsync(password!, cancellationToken)
            ? $"{label} has appeared in a data breach, so attackers have it in their lists: choose another."
            : null;
    }

    /// <summary>Adds the password's problem, if any, to a request's validation errors under <paramref name="field"/>.</summary>
    public async Task AddProblemAsync(
        Dictionary<string, string[]> errors, string field, string? password, string? accountEmail, string label, CancellationToken cancellationToken)
    {
        if (await ProblemAsync(password, accountEmail, label, cancellationToken) is { } problem)
        {
            errors[field] = [problem];
        }
    }

    private static string? EmailLocalPart(string? email) =>
        email?.Split('@')[0] is { Length: >= MinPartLength } localPart ? localPart : null;

    /// <summary>"Contoso Orders" and "Contoso.Orders" give "Contoso" and "Orders".</summary>
    private static string[] NameParts(string? name) => (name ?? "")
        .Split([' ', '.', '-', '_'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Where(part => part.Length >= MinPartLength)
        .ToArray();
}
