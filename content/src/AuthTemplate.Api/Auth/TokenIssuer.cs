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
    public async Task<TokenResponse> IssueAsync(User user, SignIn signIn, CancellationToken cancellationToken)
    {
        var refresh = await refreshTokens.StartFamilyAsync(user.Id, signIn, cancellationToken);
        var access = accessTokens.Create(user, signIn with { SessionId = refresh.SessionId });
        return new TokenResponse(access.Token, "Bearer", access.ExpiresInSeconds, refresh.Token, refresh.ExpiresInSeconds);
    }
}
#else
public sealed class TokenIssuer(AccessTokenService accessTokens)
{
    public Task<TokenResponse> IssueAsync(User user, SignIn signIn, CancellationToken cancellationToken)
    {
        var access = accessTokens.Create(user, signIn);
        return Task.FromResult(new TokenResponse(access.Token, "Bearer", access.ExpiresInSeconds));
    }
}
#endif
