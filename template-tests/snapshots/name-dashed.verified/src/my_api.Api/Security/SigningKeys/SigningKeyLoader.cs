using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace my_api.Api.Security.SigningKeys;

/// <summary>
/// Reads <c>Jwt:SigningKeys</c> into keys, or into problems that each name a setting and never its value: a PEM is a
/// secret, and so may a file's path be worth keeping out of logs.
/// </summary>
public static class SigningKeyLoader
{
    private const string P256Oid = "1.2.840.10045.3.1.7";
    public const int MinimumRsaBits = 2048;

    public static List<SigningKey> Load(IReadOnlyList<SigningKeySettings> configured, string defaultAlgorithm, DateTimeOffset now, List<string> problems)
    {
        if (configured.Count == 0)
        {
            problems.Add("Jwt:SigningKeys is not set: configure at least one signing key (Jwt:SigningKeys:0:PemFile or Jwt:SigningKeys:0:Pem; see README.md, Signing keys).");
            return [];
        }

        var keys = new List<(string Setting, SigningKey Key)>();
        for (var i = 0; i < configured.Count; i++)
        {
            var setting = $"Jwt:SigningKeys:{i}";
            if (TryLoad(setting, configured[i], defaultAlgorithm, problems) is { } key)
            {
                keys.Add((setting, key));
            }
        }

        foreach (var duplicate in keys.GroupBy(entry => entry.Key.Kid, StringComparer.Ordinal).Where(group => group.Count() > 1))
        {
            problems.Add($"{string.Join(" and ", duplicate.Select(entry => entry.Setting))} have the same kid: every key needs its own (two entries of one key count too).");
        }

        foreach (var duplicate in keys.GroupBy(entry => entry.Key.ActiveFrom).Where(group => group.Count() > 1))
        {
            problems.Add($"{string.Join(" and ", duplicate.Select(entry => entry.Setting + ":ActiveFrom"))} are equal: every key needs its own activation time, or replicas could disagree on the key that signs.");
        }

        if (keys.Count == configured.Count && keys.All(entry => entry.Key.ActiveFrom > now))
        {
            problems.Add("Jwt:SigningKeys has no key active yet: every ActiveFrom is in the future, so nothing could sign; leave the current key's ActiveFrom out or in the past.");
        }

        return problems.Count == 0 ? [.. keys.Select(entry => entry.Key).OrderBy(key => key.ActiveFrom)] : [];
    }

    /// <summary>A key of the given algorithm as unencrypted PKCS#8 PEM: what Development generates and tests use.</summary>
    public static string Generate(string algorithm)
    {
        using AsymmetricAlgorithm key = algorithm == SigningAlgorithms.ES256 ? ECDsa.Create(ECCurve.NamedCurves.nistP256) : RSA.Create(MinimumRsaBits);
        return key.ExportPkcs8PrivateKeyPem();
    }

    private static SigningKey? TryLoad(string setting, SigningKeySettings settings, string defaultAlgorithm, List<string> problems)
    {
        var algorithm = settings.Algorithm ?? defaultAlgorithm;
        if (!SigningAlgorithms.Supported.Contains(algorithm))
        {
            problems.Add($"{setting}:Algorithm must be {string.Join(" or ", SigningAlgorithms.Supported)}.");
            return null;
        }

        var source = settings switch
        {
            { Pem.Length: > 0, PemFile.Length: > 0 } => null,
            { Pem.Length: > 0 } => $"{setting}:Pem",
            { PemFile.Length: > 0 } => $"{setting}:PemFile",
            _ => null,
        };
        if (source is null)
        {
            problems.Add($"{setting} needs exactly one of Pem (the PEM text) and PemFile (the path of a PEM file).");
            return null;
        }

        string pem;
        try
        {
            pem = settings.Pem is { Length: > 0 } text ? text : File.ReadAllText(settings.PemFile!);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            problems.Add($"{source} cannot be read ({exception.GetType().Name}): is the secret mounted, and readable by the app's user?");
            return null;
        }

        using var key = Parse(source, pem, problems);
        return key switch
        {
            RSA rsa => FromRsa(setting, source, rsa, settings, algorithm, problems),
            ECDsa ecdsa => FromECDsa(setting, source, ecdsa, settings, algorithm, problems),
            _ => null,
        };
    }

    private static AsymmetricAlgorithm? Parse(string source, string pem, List<string> problems)
    {
        if (pem.Contains("ENCRYPTED", StringComparison.Ordinal))
        {
            problems.Add($"{source} is an encrypted private key: the app has no passphrase to open it. Store it unencrypted (openssl pkey -in key.pem -out plain.pem) and protect it as a secret.");
            return null;
        }

        if (!pem.Contains("-----BEGIN", StringComparison.Ordinal))
        {
            problems.Add($"{source} is not a PEM private key. Symmetric (HMAC) keys are not accepted: use an RSA key of {MinimumRsaBits} bits or more, or a P-256 key (see README.md, Signing keys).");
            return null;
        }

        if (!PemEncoding.TryFind(pem, out var fields) || pem[fields.Label] is not ("PRIVATE KEY" or "RSA PRIVATE KEY" or "EC PRIVATE KEY"))
        {
            problems.Add($"{source} is a malformed PEM or holds no private key: it must be one PEM block, BEGIN PRIVATE KEY (PKCS#8), BEGIN RSA PRIVATE KEY or BEGIN EC PRIVATE KEY.");
            return null;
        }

        // The label of PKCS#8 does not say the key type: try RSA, then EC.
        AsymmetricAlgorithm[] candidates = [RSA.Create(), ECDsa.Create()];
        foreach (var candidate in candidates)
        {
            try
            {
                switch (candidate)
                {
                    case RSA rsa:
                        rsa.ImportFromPem(pem);
                        break;
                    case ECDsa ecdsa:
                        ecdsa.ImportFromPem(pem);
                        break;
                }

                foreach (var other in candidates.Where(other => other != candidate))
                {
                    other.Dispose();
                }

                return candidate;
            }
            catch (Exception exception) when (exception is CryptographicException or ArgumentException)
            {
                // Not this type, or not a key at all: the next candidate, or the problem below.
            }
        }

        foreach (var candidate in candidates)
        {
            candidate.Dispose();
        }

        problems.Add($"{source} is a malformed PEM, or a private key that is neither RSA nor EC.");
        return null;
    }

    private static SigningKey? FromRsa(string setting, string source, RSA rsa, SigningKeySettings settings, string algorithm, List<string> problems)
    {
        if (rsa.KeySize < MinimumRsaBits)
        {
            problems.Add($"{source} is an RSA key of {rsa.KeySize} bits: at least {MinimumRsaBits} are required.");
            return null;
        }

        if (algorithm != SigningAlgorithms.RS256)
        {
            problems.Add($"{source} is an RSA key, which signs RS256, but its algorithm is {algorithm} ({setting}:Algorithm, or Jwt:Algorithm).");
            return null;
        }

        // The signing key owns a copy of the parameters: the RSA object being loaded is disposed by the caller.
        var privateKey = new RsaSecurityKey(rsa.ExportParameters(includePrivateParameters: true));
        var publicKey = new RsaSecurityKey(rsa.ExportParameters(includePrivateParameters: false));
        return Create(settings, algorithm, privateKey, publicKey, JsonWebKeyConverter.ConvertFromRSASecurityKey(publicKey));
    }

    private static SigningKey? FromECDsa(string setting, string source, ECDsa ecdsa, SigningKeySettings settings, string algorithm, List<string> problems)
    {
        var publicParameters = ecdsa.ExportParameters(includePrivateParameters: false);
        if (publicParameters.Curve.Oid?.Value != P256Oid)
        {
            problems.Add($"{source} is an EC key on another curve than P-256, the only one ES256 signs with.");
            return null;
        }

        if (algorithm != SigningAlgorithms.ES256)
        {
            problems.Add($"{source} is a P-256 key, which signs ES256, but its algorithm is {algorithm} ({setting}:Algorithm, or Jwt:Algorithm).");
            return null;
        }

        var privateKey = new ECDsaSecurityKey(ECDsa.Create(ecdsa.ExportParameters(includePrivateParameters: true)));
        var publicKey = new ECDsaSecurityKey(ECDsa.Create(publicParameters));
        return Create(settings, algorithm, privateKey, publicKey, JsonWebKeyConverter.ConvertFromECDsaSecurityKey(publicKey));
    }

    private static SigningKey Create(SigningKeySettings settings, string algorithm, AsymmetricSecurityKey privateKey, SecurityKey publicKey, JsonWebKey publicJwk)
    {
        var kid = settings.Kid is { Length: > 0 } given ? given : Base64UrlEncoder.Encode(publicJwk.ComputeJwkThumbprint());
        privateKey.KeyId = kid;
        publicKey.KeyId = kid;
        return new SigningKey(kid, algorithm, settings.ActiveFrom ?? DateTimeOffset.MinValue, privateKey, publicKey, publicJwk);
    }
}
