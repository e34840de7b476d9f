using Contoso.Orders.Api.Domain;
using Contoso.Orders.Api.RefreshTokens;
using Contoso.Orders.Api.Security;

namespace Contoso.Orders.Api.Auth;

/// <summary>What a successful login hands the client.</summary>
public sealed class TokenIssuer(AccessTokenService accessTokens, RefreshTokenStore refreshTokens)
{
    public async Task<TokenResponse> IssueAsync(User user, CancellationToken cancellationToken)
    {
        var access = accessTokens.Create(user);
        var refresh = await refreshTokens.StartFamilyAsync(user.Id, cancellationToken);
        return new TokenResponse(access.Token, "Bearer", access.ExpiresInSeconds, refresh.Token, refresh.ExpiresInSeconds);
    }
}
