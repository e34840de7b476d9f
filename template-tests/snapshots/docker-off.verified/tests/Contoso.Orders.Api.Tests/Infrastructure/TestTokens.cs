using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Contoso.Orders.Api.Tests.Infrastructure;

/// <summary>Hand-made access tokens, each valid but for the one thing a test changes.</summary>
public sealed record TestTokens(TestKey Key, string Issuer = ApiFactory.Issuer, string Audience = ApiFactory.Audience)
{
    public string Create(
        Guid userId,
        TestKey? key = null,
        string? algorithm = null,
        string? tokenType = "at+jwt",
        string? issuer = null,
        string? audience = null,
        DateTimeOffset? notBefore = null,
        DateTimeOffset? expires = null,
        bool withNotBefore = true,
        bool withKid = true)
    {
        var signingKey = key ?? Key;
        var now = DateTimeOffset.UtcNow;
        var handler = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false };
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer ?? Issuer,
            Audience = audience ?? Audience,
            Subject = new ClaimsIdentity([new Claim("sub", userId.ToString()), new Claim("jti", Guid.NewGuid().ToString())]),
            IssuedAt = now.UtcDateTime,
            Expires = (expires ?? now.AddMinutes(5)).UtcDateTime,
            SigningCredentials = new SigningCredentials(signingKey.PrivateKey, algorithm ?? signingKey.Algorithm),
        };
        if (withNotBefore)
        {
            descriptor.NotBefore = (notBefore ?? now).UtcDateTime;
        }

        if (tokenType is not null)
        {
            descriptor.TokenType = tokenType;
        }

        if (!withKid)
        {
            // The handler writes the key's kid into the header; a copy of the key without one writes none.
            descriptor.SigningCredentials = new SigningCredentials(WithoutKid(signingKey.PrivateKey), algorithm ?? signingKey.Algorithm);
        }

        return handler.CreateToken(descriptor);
    }

    /// <summary>An unsigned token (<c>alg: none</c>) naming the real key, with otherwise valid claims.</summary>
    public string CreateUnsigned(Guid userId) => $"{Header("none")}.{Payload(userId)}.";

    /// <summary>
    /// The key-confusion attack: HS256 with the published public key (its PEM text) as the HMAC secret, naming the real
    /// key's kid. A validator that lets the token choose the algorithm would accept it.
    /// </summary>
    public string CreateHs256WithThePublicKey(Guid userId)
    {
        var signed = $"{Header("HS256")}.{Payload(userId)}";
        var signature = HMACSHA256.HashData(Encoding.UTF8.GetBytes(Key.PublicPem), Encoding.ASCII.GetBytes(signed));
        return $"{signed}.{Base64UrlEncoder.Encode(signature)}";
    }

    private string Header(string algorithm) => Base64UrlEncoder.Encode($$"""{"alg":"{{algorithm}}","kid":"{{Key.Kid}}","typ":"at+jwt"}""");

    private string Payload(Guid userId)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        return Base64UrlEncoder.Encode(
            $$"""{"iss":"{{Issuer}}","aud":"{{Audience}}","sub":"{{userId}}","jti":"{{Guid.NewGuid()}}","iat":{{now}},"nbf":{{now}},"exp":{{now + 300}}}""");
    }

    private static AsymmetricSecurityKey WithoutKid(AsymmetricSecurityKey key) => key switch
    {
        RsaSecurityKey rsa => new RsaSecurityKey(rsa.Parameters),
        ECDsaSecurityKey ecdsa => new ECDsaSecurityKey(ecdsa.ECDsa),
        _ => throw new ArgumentOutOfRangeException(nameof(key)),
    };
}
