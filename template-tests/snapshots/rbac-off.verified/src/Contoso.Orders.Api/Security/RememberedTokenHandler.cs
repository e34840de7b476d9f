using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Contoso.Orders.Api.Security;

/// <summary>
/// The bearer handler's token handler: an access token whose signature <see cref="VerifiedSignatures"/> remembers is
/// validated from its parsed form rather than read again, which is most of what an authenticated request whose user
/// is cached still costs. Every check but the signature runs on every request, as for any other token.
/// </summary>
public sealed class RememberedTokenHandler(VerifiedSignatures signatures) : JsonWebTokenHandler
{
    public override Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters validationParameters) =>
        signatures.Find(token) is { } parsed
            ? ValidateTokenAsync(parsed, validationParameters)
            : base.ValidateTokenAsync(token, validationParameters);
}
