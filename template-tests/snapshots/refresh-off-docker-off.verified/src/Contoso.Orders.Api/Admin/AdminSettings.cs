using Contoso.Orders.Api.Domain;
using Contoso.Orders.Api.Passwords;
using Microsoft.Extensions.Options;

namespace Contoso.Orders.Api.Admin;

/// <summary>
/// The first admin (<c>Admin:Email</c>, <c>Admin:Password</c>): created when missing, promoted when the user exists.
/// Both or neither; there is no default password.
/// </summary>
public sealed class AdminSettings
{
    public const string Section = "Admin";
    public const int MinimumPasswordLength = 12;

    public string? Email { get; set; }

    public string? Password { get; set; }

    public bool IsConfigured => !string.IsNullOrWhiteSpace(Email);
}

public sealed class AdminSettingsValidator(PasswordPolicy passwords) : IValidateOptions<AdminSettings>
{
    private static readonly string[] WeakMarkers = ["change-me", "changeme", "placeholder", "password", "admin", "123456", "qwerty"];

    public ValidateOptionsResult Validate(string? name, AdminSettings settings)
    {
        if (!settings.IsConfigured)
        {
            return string.IsNullOrEmpty(settings.Password)
                ? ValidateOptionsResult.Success
                : ValidateOptionsResult.Fail("Admin:Email is not set although Admin:Password is.");
        }

        if (EmailAddress.Problem(settings.Email) is not null)
        {
            return ValidateOptionsResult.Fail("Admin:Email is not a valid email address.");
        }

        var password = settings.Password;
        if (string.IsNullOrEmpty(password))
        {
            return ValidateOptionsResult.Fail("Admin:Password is not set although Admin:Email is.");
        }

        // The policy every account's password meets, then more: this account can do everything.
        if (passwords.Problem(password, settings.Email, "Admin:Password") is { } problem)
        {
            return ValidateOptionsResult.Fail(problem);
        }

        var weak = password.Length < AdminSettings.MinimumPasswordLength
            || WeakMarkers.Any(marker => password.Contains(marker, StringComparison.OrdinalIgnoreCase));
        return weak
            ? ValidateOptionsResult.Fail(
                $"Admin:Password is too weak or a placeholder: use {AdminSettings.MinimumPasswordLength} to {PasswordPolicy.MaxUtf8Bytes} bytes, without the email or common words.")
            : ValidateOptionsResult.Success;
    }
}
