using Contoso.Orders.Api.Auth;
using Contoso.Orders.Api.Domain;
using Contoso.Orders.Api.Passwords;

namespace Contoso.Orders.Api.Account;

/// <summary>
/// The answer to a request whose outcome must not tell whether an account exists: one fixed message per endpoint.
/// </summary>
public sealed record AcceptedResponse(string Message)
{
    public static readonly AcceptedResponse Registration = new("Check your inbox: the email we sent tells you how to continue.");
    public static readonly AcceptedResponse Confirmation = new("If this address awaits confirmation, a new confirmation email is on its way.");
    public static readonly AcceptedResponse PasswordReset = new("If an account has this address, an email with a reset link is on its way.");
    public static readonly AcceptedResponse EmailChange = new("Check the new address's inbox: the change takes effect once it is confirmed there.");
}

public sealed record EmailRequest(string? Email)
{
    public Dictionary<string, string[]> Validate() => ValidationErrors.Of(("email", EmailAddress.Problem(Email)));
}

public sealed record ConfirmEmailRequest(string? Token)
{
    // Only presence: a token of any other shape is simply one that matches nothing, answered like every bad token.
    public Dictionary<string, string[]> Validate() => ValidationErrors.Of(
        ("token", string.IsNullOrWhiteSpace(Token) ? "Token is required." : null));
}

public sealed record ResetPasswordRequest(string? Token, string? NewPassword)
{
    /// <summary>Everything but the account's own address, which only the token tells (see <see cref="AccountService.ResetPasswordAsync"/>).</summary>
    public async Task<Dictionary<string, string[]>> ValidateAsync(PasswordPolicy passwords, CancellationToken cancellationToken)
    {
        var errors = ValidationErrors.Of(("token", string.IsNullOrWhiteSpace(Token) ? "Token is required." : null));
        await passwords.AddProblemAsync(errors, "newPassword", NewPassword, accountEmail: null, "New password", cancellationToken);
        return errors;
    }
}

public sealed record ChangeEmailRequest(string? NewEmail, string? Password)
{
    public Dictionary<string, string[]> Validate() => ValidationErrors.Of(
        ("newEmail", EmailAddress.Problem(NewEmail)?.Replace("Email", "New email", StringComparison.Ordinal)),
        ("password", string.IsNullOrEmpty(Password) ? "Password is required." : null));
}
