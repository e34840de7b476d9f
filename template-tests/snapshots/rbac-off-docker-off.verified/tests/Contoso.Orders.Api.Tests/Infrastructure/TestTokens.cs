using System.Security.Claims;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Contoso.Orders.Api.Tests.Infrastructure;

/// <summary>Hand-made access tokens, each valid but for the one thing a test changes.</summary>
public sealed record TestTokens(string SigningKey, string Issuer = "contoso_orders", string Audience = "contoso_orders")
{
    public string Create(
        Guid userId,
        string? key = null,
        string algorithm = SecurityAlgorithms.HmacSha256,
        string? tokenType = "at+jwt",
        string? issuer = null,
        string? audience = null,
        DateTimeOffset? notBefore = null,
        DateTimeOffset? expires = null,
        bool withNotBefore = true)
    {
        var now = DateTimeOffset.UtcNow;
        var handler = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false };
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer ?? Issuer,
            Audience = audience ?? Audience,
            Subject = new ClaimsIdentity([new Claim("sub", userId.ToString()), new Claim("jti", Guid.NewGuid().ToString())]),
            IssuedAt = now.UtcDateTime,
            Expires = (expires ?? now.AddMinutes(5)).UtcDateTime,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(key ?? SigningKey)), algorithm),
        };
        if (withNotBefore)
        {
            descriptor.NotBefore = (notBefore ?? now).UtcDateTime;
        }

        if (tokenType is not null)
        {
            descriptor.TokenType = tokenType;
        }

        return handler.CreateToken(descriptor);
    }

    /// <summary>An unsigned token (<c>alg: none</c>) with otherwise valid claims.</summary>
    public string CreateUnsigned(Guid userId)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = Base64UrlEncoder.Encode("""{"alg":"none","typ":"at+jwt"}""");
        var payload = Base64UrlEncoder.Encode(
            $$"""{"iss":"{{Issuer}}","aud":"{{Audience}}","sub":"{{userId}}","iat":{{now}},"nbf":{{now}},"exp":{{now + 300}}}""");
        return $"{header}.{payload}.";
    }
}
