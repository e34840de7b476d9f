using System.Globalization;
using System.Security.Claims;
using my_api.Api.Configuration;
using my_api.Api.Domain;
using my_api.Api.Security.SigningKeys;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace my_api.Api.Security;

public sealed record AccessToken(string Token, int ExpiresInSeconds);

/// <summary>Claims a feature adds to every access token, besides the core ones.</summary>
public interface IAccessTokenClaims
{
    IEnumerable<Claim> For(User user);
}

/// <summary>
/// Issues short-lived JWT access tokens (RFC 9068 profile: <c>typ: at+jwt</c>), signed with the key that is active at
/// the moment and naming it in <c>kid</c>.
/// </summary>
public sealed class AccessTokenService(IOptions<JwtSettings> settings, SigningKeyRing keys, TimeProvider time, IEnumerable<IAccessTokenClaims> featureClaims)
{
    public const string TokenType = "at+jwt";

    private static readonly JsonWebTokenHandler Handler = new();
    private readonly JwtSettings _settings = settings.Value;

    public AccessToken Create(User user)
    {
        var now = time.GetUtcNow();
        var lifetime = _settings.AccessTokenLifetime;
        var claims = new List<Claim>
        {
            new(JwtRegisteredClaimNames.Sub, user.Id.ToString()),
            new(JwtRegisteredClaimNames.Email, user.Email),
            new(JwtRegisteredClaimNames.Jti, Guid.NewGuid().ToString()),
            new(SessionVersions.ClaimType, user.SessionVersion.ToString(CultureInfo.InvariantCulture), ClaimValueTypes.Integer32),
        };
        claims.AddRange(featureClaims.SelectMany(source => source.For(user)));
        var token = Handler.CreateToken(new SecurityTokenDescriptor
        {
            TokenType = TokenType,
            Issuer = _settings.Issuer,
            Audience = _settings.Audience,
            Subject = new ClaimsIdentity(claims),
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = (now + lifetime).UtcDateTime,
            SigningCredentials = keys.ActiveAt(now).Credentials,
        });
        return new AccessToken(token, (int)lifetime.TotalSeconds);
    }
}
