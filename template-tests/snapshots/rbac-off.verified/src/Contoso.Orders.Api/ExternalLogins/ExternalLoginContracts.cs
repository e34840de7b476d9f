using Contoso.Orders.Api.Auth;

namespace Contoso.Orders.Api.ExternalLogins;

public sealed record ExternalProviderResponse(string Name, string DisplayName);

public sealed record ExternalCodeExchangeRequest(string? Code)
{
    public Dictionary<string, string[]> Validate() => ValidationErrors.Of(
        ("code", string.IsNullOrEmpty(Code) ? "The code from the return URL's fragment is required." : null));
}

/// <summary>Linking a provider from the account: the password again (when the account has one) and the page to return to.</summary>
public sealed record LinkExternalLoginRequest(string? Password, string? ReturnUrl);

/// <summary>The provider's page to send the browser to; it comes back to <c>returnUrl#linked={provider}</c> or <c>#error=...</c>.</summary>
public sealed record ExternalAuthorizationResponse(string AuthorizationUrl);

/// <summary>Unlinking a provider: the password again, when the account has one.</summary>
public sealed record UnlinkExternalLoginRequest(string? Password);
