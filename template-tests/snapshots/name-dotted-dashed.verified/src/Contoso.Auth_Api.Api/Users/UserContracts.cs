using System.Text.Json.Serialization;
using Contoso.Auth_Api.Api.Auth;
using Contoso.Auth_Api.Api.Domain;
using Contoso.Auth_Api.Api.Passwords;

namespace Contoso.Auth_Api.Api.Users;

public sealed record UserResponse(Guid Id, string Email, bool EmailConfirmed, bool IsActive, DateTimeOffset CreatedAt, bool TwoFactorEnabled, string Role)
{
    public static UserResponse From(User user) => new(user.Id, user.Email, user.EmailConfirmed, user.IsActive, user.CreatedAt, user.TwoFactorEnabled, user.Role);

    public static UserResponse From(UserSnapshot user) => new(user.Id, user.Email, user.EmailConfirmed, user.IsActive, user.CreatedAt, user.TwoFactorEnabled, user.Role);

    /// <summary>Unused recovery codes, told to the account's owner while two-factor sign-in is on; absent otherwise.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? RecoveryCodesLeft { get; init; }
}

public sealed record ChangePasswordRequest(string? CurrentPassword, string? NewPassword)
{
    public async Task<Dictionary<string, string[]>> ValidateAsync(PasswordPolicy passwords, string accountEmail, CancellationToken cancellationToken)
    {
        var errors = ValidationErrors.Of(
            ("currentPassword", string.IsNullOrEmpty(CurrentPassword) ? "Current password is required." : null));
        await passwords.AddProblemAsync(errors, "newPassword", NewPassword, accountEmail, "New password", cancellationToken);
        return errors;
    }
}

/// <summary>The password, and with two-factor sign-in on, a code from the app or a recovery code.</summary>
public sealed record DeleteAccountRequest(string? Password, string? Code = null)
{
    public Dictionary<string, string[]> Validate(bool twoFactorEnabled) => ValidationErrors.Of(
        ("password", string.IsNullOrEmpty(Password) ? "Password is required." : null),
        ("code", twoFactorEnabled && string.IsNullOrWhiteSpace(Code) ? "Two-factor sign-in is on: a code from the app or a recovery code is required." : null));
}
