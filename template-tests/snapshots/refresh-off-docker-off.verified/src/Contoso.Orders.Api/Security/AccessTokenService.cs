using System.Globalization;
using System.Security.Claims;
using Contoso.Orders.Api.Configuration;
using Contoso.Orders.Api.Domain;
using Contoso.Orders.Api.Security.SigningKeys;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Contoso.Orders.Api.Security;

public sealed record AccessToken(string Token, int ExpiresInSeconds);

/// <summary>How a user signed in: the methods (RFC 8176 <c>amr</c> values) and, where sessions are kept, the session.</summary>
public sealed record SignIn(IReadOnlyList<string> Methods, Guid? SessionId = null)
{
    /// <summary>RFC 8176: a password.</summary>
    public const string Password = "pwd";

    /// <summary>RFC 8176: a one-time password, such as an authenticator app's code.</summary>
    public const string OneTimePassword = "otp";

    /// <summary>RFC 8176: proof of possession of a hardware-secured key, such as a passkey.</summary>
    public const string HardwareKey = "hwk";

    /// <summary>RFC 8176: federated: an OpenID provider vouched for the user.</summary>
    public const string Federated = "fed";

    /// <summary>RFC 8176: more than one factor.</summary>
    public const string MultipleFactors = "mfa";

    public static SignIn WithPassword { get; } = new([Password]);

    /// <summary>A passkey with user verification: the device, and the PIN or biometric that unlocks it.</summary>
    public static SignIn WithPasskey { get; } = new([HardwareKey, MultipleFactors]);

    /// <summary>An OpenID provider's sign-in; two factors when the provider is configured to count as them.</summary>
    public static SignIn WithProvider(bool satisfiesTwoFactor) => new(satisfiesTwoFactor ? [Federated, MultipleFactors] : [Federated]);

    /// <summary>A first factor (a password, a provider), then a code from an authenticator app or a recovery code.</summary>
    public static SignIn AfterSecondFactor(string firstFactor) => new([.. ParseMethods(firstFactor), OneTimePassword, MultipleFactors]);

    /// <summary>Stored with a session, so that every later token of the session says how it began.</summary>
    public string MethodsText => string.Join(' ', Methods);

    public static IReadOnlyList<string> ParseMethods(string? text) =>
        string.IsNullOrWhiteSpace(text) ? [Password] : text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
}

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

    public AccessToken Create(User user, SignIn signIn)
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
        // One claim per method: the handler writes repeated claims as the JSON array RFC 8176 asks for.
        claims.AddRange(signIn.Methods.Select(method => new Claim(JwtAuthentication.MethodsClaim, method)));
        if (signIn.SessionId is { } sessionId)
        {
            claims.Add(new Claim(JwtAuthentication.SessionClaim, sessionId.ToString()));
        }

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
