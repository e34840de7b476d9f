using System.Security.Claims;
using my_api.Api.Configuration;
using my_api.Api.Domain;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace my_api.Api.Security;

public sealed record AccessToken(string Token, int ExpiresInSeconds);

/// <summary>Issues short-lived JWT access tokens (RFC 9068 profile: <c>typ: at+jwt</c>).</summary>
public sealed class AccessTokenService(IOptions<JwtSettings> settings, TimeProvider time)
{
    public const string TokenType = "at+jwt";

    private static readonly JsonWebTokenHandler Handler = new();
    private readonly JwtSettings _settings = settings.Value;
    private readonly SigningCredentials _credentials = new(settings.Value.CreateSigningKey(), settings.Value.SecurityAlgorithm);

    public AccessToken Create(User user)
    {
        var now = time.GetUtcNow();
        var lifetime = TimeSpan.FromMinutes(_settings.AccessTokenMinutes);
        var claims = new List<Claim>
        {
            new(JwtRegisteredClaimNames.Sub, user.Id.ToString()),
            new(JwtRegisteredClaimNames.Email, user.Email),
            new(JwtRegisteredClaimNames.Jti, Guid.NewGuid().ToString()),
            new(Admin.Roles.ClaimType, user.Role),
        };
        var token = Handler.CreateToken(new SecurityTokenDescriptor
        {
            TokenType = TokenType,
            Issuer = _settings.Issuer,
            Audience = _settings.Audience,
            Subject = new ClaimsIdentity(claims),
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = (now + lifetime).UtcDateTime,
            SigningCredentials = _credentials,
        });
        return new AccessToken(token, (int)lifetime.TotalSeconds);
    }
}
