using Contoso.Orders.Api.Domain;
using Contoso.Orders.Api.RefreshTokens;
using Contoso.Orders.Api.Security;

namespace Contoso.Orders.Api.Auth;

/// <summary>What a successful login hands the client.</summary>
public sealed class TokenIssuer(AccessTokenService accessTokens, RefreshTokenStore refreshTokens)
{
    public async Task<TokenResponse> IssueAsync(User user, SignIn signIn, CancellationToken cancellationToken)
    {
        var refresh = await refreshTokens.StartFamilyAsync(user.Id, signIn, cancellationToken);
        var access = accessTokens.Create(user, signIn with { SessionId = refresh.SessionId });
        return new TokenResponse(access.Token, "Bearer", access.ExpiresInSeconds, refresh.Token, refresh.ExpiresInSeconds);
    }
}
