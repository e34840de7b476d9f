using System.Security.Cryptography;
using Contoso.Orders.Api.Security.SigningKeys;
using Microsoft.IdentityModel.Tokens;

namespace Contoso.Orders.Api.Tests.Infrastructure;

/// <summary>
/// A signing key made at run time (no key is ever committed), remembered as a secret so that the log scan catches it
/// if any log shows it, in PEM or in JWK form.
/// </summary>
public sealed class TestKey
{
    private TestKey(string algorithm, AsymmetricAlgorithm key, string? kid)
    {
        Algorithm = algorithm;
        Pem = key.ExportPkcs8PrivateKeyPem();
        PublicPem = key.ExportSubjectPublicKeyInfoPem();
        (PrivateKey, PublicJwk) = key switch
        {
            RSA rsa => ((AsymmetricSecurityKey)new RsaSecurityKey(rsa.ExportParameters(true)),
                JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(rsa.ExportParameters(false)))),
            ECDsa ecdsa => (new ECDsaSecurityKey(ECDsa.Create(ecdsa.ExportParameters(true))),
                JsonWebKeyConverter.ConvertFromECDsaSecurityKey(new ECDsaSecurityKey(ECDsa.Create(ecdsa.ExportParameters(false))))),
            _ => throw new ArgumentOutOfRangeException(nameof(key)),
        };
        Thumbprint = Base64UrlEncoder.Encode(PublicJwk.ComputeJwkThumbprint());
        Kid = kid ?? Thumbprint;
        PrivateKey.KeyId = Kid;

        TestRun.RememberSecret(Pem);
        TestRun.RememberSecret(string.Concat(Pem.Split('\n').Where(line => !line.StartsWith("-----", StringComparison.Ordinal))));
        var privateJwk = key is RSA privateRsa
            ? JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(privateRsa.ExportParameters(true)))
            : JsonWebKeyConverter.ConvertFromECDsaSecurityKey(new ECDsaSecurityKey((ECDsa)key));
        TestRun.RememberSecret(privateJwk.D);
    }

    public string Algorithm { get; }

    /// <summary>The private key, as unencrypted PKCS#8 PEM: what the API's configuration takes.</summary>
    public string Pem { get; }

    /// <summary>The public key as PEM, which anyone may have: the HMAC key of a key-confusion attack.</summary>
    public string PublicPem { get; }

    /// <summary>The kid the API gives this key when configuration names none: its RFC 7638 thumbprint.</summary>
    public string Thumbprint { get; }

    /// <summary>The kid the tests sign with.</summary>
    public string Kid { get; }

    public AsymmetricSecurityKey PrivateKey { get; }

    public JsonWebKey PublicJwk { get; }

    public static TestKey Rsa(int bits = 2048, string? kid = null) => new(SigningAlgorithms.RS256, RSA.Create(bits), kid);

    public static TestKey EcP256(string? kid = null) => new(SigningAlgorithms.ES256, ECDsa.Create(ECCurve.NamedCurves.nistP256), kid);

    public static TestKey Create(string algorithm, string? kid = null) => algorithm == SigningAlgorithms.ES256 ? EcP256(kid) : Rsa(kid: kid);

}
