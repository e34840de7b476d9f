namespace Contoso.Orders.Api.Security.SigningKeys;

/// <summary>One entry of <c>Jwt:SigningKeys</c>: a private key and when it becomes the key that signs.</summary>
public sealed class SigningKeySettings
{
    /// <summary>The unencrypted PKCS#8 (or PKCS#1 / SEC1) PEM text of the private key.</summary>
    public string? Pem { get; set; }

    /// <summary>The path of a file holding that PEM, the way a mounted secret arrives (<c>/run/secrets/...</c>).</summary>
    public string? PemFile { get; set; }

    /// <summary>The key id tokens and the JWK Set carry; the key's RFC 7638 thumbprint when not given.</summary>
    public string? Kid { get; set; }

    /// <summary>When this key starts signing; absent means it always has. Replicas agree because they read the same value.</summary>
    public DateTimeOffset? ActiveFrom { get; set; }

    /// <summary>RS256 for an RSA key, ES256 for a P-256 key; <c>Jwt:Algorithm</c> when not given.</summary>
    public string? Algorithm { get; set; }
}
