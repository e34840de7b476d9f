using System.Text.Json.Serialization;
using Microsoft.IdentityModel.Tokens;

namespace Contoso.Orders.Api.Security.SigningKeys;

/// <summary>A loaded signing key: what signs with it, what verifies with it, and what the JWK Set says of it.</summary>
public sealed class SigningKey(string kid, string algorithm, DateTimeOffset activeFrom, AsymmetricSecurityKey privateKey, SecurityKey publicKey, JsonWebKey publicJwk)
{
    public string Kid { get; } = kid;

    /// <summary>The one algorithm this key signs and verifies with (RFC 8725 3.1).</summary>
    public string Algorithm { get; } = algorithm;

    public DateTimeOffset ActiveFrom { get; } = activeFrom;

    public SigningCredentials Credentials { get; } = new(privateKey, algorithm);

    /// <summary>The public half only: nothing that verifies a token holds the private key.</summary>
    public SecurityKey VerificationKey { get; } = publicKey;

    /// <summary>
    /// The JWK Set entry, copied field by field from the public key's JWK: a list of what may be published rather than
    /// a serialisation of everything a JWK can hold, so that no private parameter can ever slip into it.
    /// </summary>
    public PublicJwk Jwk { get; } = new(publicJwk.Kty, "sig", kid, algorithm, publicJwk.N, publicJwk.E, publicJwk.Crv, publicJwk.X, publicJwk.Y);
}

/// <summary>A public JWK (RFC 7517, 7518): RSA keys have n and e, EC keys crv, x and y.</summary>
public sealed record PublicJwk(
    [property: JsonPropertyName("kty")] string Kty,
    [property: JsonPropertyName("use")] string Use,
    [property: JsonPropertyName("kid")] string Kid,
    [property: JsonPropertyName("alg")] string Alg,
    [property: JsonPropertyName("n"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? N,
    [property: JsonPropertyName("e"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? E,
    [property: JsonPropertyName("crv"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Crv,
    [property: JsonPropertyName("x"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? X,
    [property: JsonPropertyName("y"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Y);
