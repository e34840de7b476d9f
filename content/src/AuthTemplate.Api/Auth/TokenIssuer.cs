using AuthTemplate.Api.Domain;
#if (RefreshTokens)
using AuthTemplate.Api.RefreshTokens;
#endif
using AuthTemplate.Api.Security;

namespace AuthTemplate.Api.Auth;

/// <summary>What a successful login hands the client.</summary>
#if (RefreshTokens)
public sealed class TokenIssuer(AccessTokenService accessTokens, RefreshTokenStore refreshTokens)
{
    public async Task<TokenResponse> IssueAsync(User user, CancellationToken cancellationToken)
    {
        var access = accessTokens.Create(user);
        var refresh = await refreshTokens.StartFamilyAsync(user.Id, cancellationToken);
        return new TokenResponse(access.Token, "Bearer", access.ExpiresInSeconds, refresh.Token, refresh.ExpiresInSeconds);
    }
}
#else
public sealed class TokenIssuer(AccessTokenService accessTokens)
{
    public Task<TokenResponse> IssueAsync(User user, CancellationToken cancellationToken)
    {
        var access = accessTokens.Create(user);
        return Task.FromResult(new TokenResponse(access.Token, "Bearer", access.ExpiresInSeconds));
    }
}
#endif
