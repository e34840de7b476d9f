using Contoso.Orders.Api.Domain;
using Contoso.Orders.Api.Security;

namespace Contoso.Orders.Api.Auth;

/// <summary>What a successful login hands the client.</summary>
public sealed class TokenIssuer(AccessTokenService accessTokens)
{
    public Task<TokenResponse> IssueAsync(User user, SignIn signIn, CancellationToken cancellationToken)
    {
        var access = accessTokens.Create(user, signIn);
        return Task.FromResult(new TokenResponse(access.Token, "Bearer", access.ExpiresInSeconds));
    }
}
