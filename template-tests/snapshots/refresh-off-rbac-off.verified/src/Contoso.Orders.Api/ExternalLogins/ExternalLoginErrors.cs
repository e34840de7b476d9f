namespace Contoso.Orders.Api.ExternalLogins;

/// <summary>
/// What the callback tells the front end in <c>returnUrl#error=...</c>: enough to say what to do next, nothing that
/// tells an attacker which check failed (the log says that).
/// </summary>
public static class ExternalLoginErrors
{
    /// <summary>The person declined at the provider.</summary>
    public const string AccessDenied = "access_denied";

    /// <summary>The provider answered with another error.</summary>
    public const string ProviderError = "provider_error";

    /// <summary>The provider's discovery document or token endpoint could not be reached.</summary>
    public const string ProviderUnavailable = "provider_unavailable";

    /// <summary>The code was refused, or the ID token failed a check (signature, issuer, audience, expiry, nonce).</summary>
    public const string InvalidResponse = "invalid_response";

    /// <summary>A first sign-in whose address the provider does not vouch for: no account is made or linked from it.</summary>
    public const string EmailNotVerified = "email_not_verified";

    /// <summary>An account has the address, and the provider is not trusted with addresses: sign in with the password, then link.</summary>
    public const string LinkRequired = "link_required";

    /// <summary>The identity belongs to another account, or the account is linked to another identity at this provider.</summary>
    public const string AlreadyLinked = "already_linked";

    /// <summary>The account may not sign in (deactivated, or its address not confirmed).</summary>
    public const string SignInFailed = "sign_in_failed";
}
