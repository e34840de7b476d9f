using Contoso.Orders.Api.Auth;
using Contoso.Orders.Api.Domain;
using Contoso.Orders.Api.Passwords;

namespace Contoso.Orders.Api.Users;

public sealed record UserResponse(Guid Id, string Email, bool EmailConfirmed, bool IsActive, DateTimeOffset CreatedAt, string Role)
{
    public static UserResponse From(User user) => new(user.Id, user.Email, user.EmailConfirmed, user.IsActive, user.CreatedAt, user.Role);

    public static UserResponse From(UserSnapshot user) => new(user.Id, user.Email, user.EmailConfirmed, user.IsActive, user.CreatedAt, user.Role);
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

public sealed record DeleteAccountRequest(string? Password)
{
    public Dictionary<string, string[]> Validate() => ValidationErrors.Of(
        ("password", string.IsNullOrEmpty(Password) ? "Password is required." : null));
}
