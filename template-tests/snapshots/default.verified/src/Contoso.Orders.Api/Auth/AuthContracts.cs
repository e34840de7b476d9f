using Contoso.Orders.Api.Domain;
using Contoso.Orders.Api.Passwords;

namespace Contoso.Orders.Api.Auth;

public sealed record RegisterRequest(string? Email, string? Password)
{
    public async Task<Dictionary<string, string[]>> ValidateAsync(PasswordPolicy passwords, CancellationToken cancellationToken)
    {
        var errors = ValidationErrors.Of(("email", EmailAddress.Problem(Email)));
        await passwords.AddProblemAsync(errors, "password", Password, Email, "Password", cancellationToken);
        return errors;
    }
}

public sealed record LoginRequest(string? Email, string? Password)
{
    // Only presence is checked: a login must not tell which rule a stored password would break.
    public Dictionary<string, string[]> Validate() => ValidationErrors.Of(
        ("email", string.IsNullOrWhiteSpace(Email) ? "Email is required." : null),
        ("password", string.IsNullOrEmpty(Password) ? "Password is required." : null));
}

public sealed record TokenResponse(string AccessToken, string TokenType, int ExpiresIn, string RefreshToken, int RefreshTokenExpiresIn);

public static class ValidationErrors
{
    public static Dictionary<string, string[]> Of(params (string Field, string? Problem)[] checks) =>
        checks.Where(check => check.Problem is not null).ToDictionary(check => check.Field, check => new[] { check.Problem! });
}
