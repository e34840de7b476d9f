using System.Security.Cryptography;
using Contoso.Orders.Api.Security.SigningKeys;
using Contoso.Orders.Api.Tests.Infrastructure;

namespace Contoso.Orders.Api.Tests;

/// <summary>
/// Security checklist point 4: each way a configured signing key can be unusable is one problem naming the setting and
/// never the key. That such a problem stops start-up with one line is shown once, by the built app, in CommandLineTests.
/// </summary>
public sealed class SigningKeySettingsTests
{
    public static TheoryData<string> UnusableSigningKeys => new()
    {
        "missing",
        "an RSA key under 2048 bits",
        "an EC key on P-384",
        "a P-256 key while the algorithm is RS256",
        "encrypted",
        "a malformed PEM",
        "a symmetric key",
        "configured twice (duplicate kid)",
        "two keys active from the same time",
        "a file that does not exist",
        "active only in the future",
    };

    [Theory]
    [MemberData(nameof(UnusableSigningKeys))]
    public void A_signing_key_is_refused_when_it_is(string problem)
    {
        var tomorrow = DateTimeOffset.UtcNow.AddDays(1);
        var yesterday = DateTimeOffset.UtcNow.AddDays(-1);
        (string Setting, string Reason, SigningKeySettings[] Keys) expected = problem switch
        {
            "missing" => ("Jwt:SigningKeys", "not set", []),
            "an RSA key under 2048 bits" => ("Jwt:SigningKeys:0", "1024 bits", [Key(Pem(RSA.Create(1024)))]),
            "an EC key on P-384" => ("Jwt:SigningKeys:0", "P-256", [Key(Pem(ECDsa.Create(ECCurve.NamedCurves.nistP384)))]),
            "a P-256 key while the algorithm is RS256" => ("Jwt:SigningKeys:0", "algorithm is RS256", [Key(Pem(ECDsa.Create(ECCurve.NamedCurves.nistP256)))]),
            "encrypted" => ("Jwt:SigningKeys:0", "encrypted", [Key(EncryptedPem())]),
            "a malformed PEM" => ("Jwt:SigningKeys:0", "malformed", [Key(MalformedPem())]),
            "a symmetric key" => ("Jwt:SigningKeys:0", "Symmetric", [Key(Convert.ToBase64String(RandomNumberGenerator.GetBytes(48)))]),
            "configured twice (duplicate kid)" => ("Jwt:SigningKeys:0 and Jwt:SigningKeys:1", "same kid", [Key(ApiProcess.Key.Pem), Key(ApiProcess.Key.Pem, tomorrow)]),
            "two keys active from the same time" => ("Jwt:SigningKeys:0:ActiveFrom and Jwt:SigningKeys:1:ActiveFrom", "are equal", [Key(ApiProcess.Key.Pem, yesterday), Key(Pem(RSA.Create(2048)), yesterday)]),
            "a file that does not exist" => ("Jwt:SigningKeys:0:PemFile", "cannot be read", [new SigningKeySettings { PemFile = Path.Combine(Path.GetTempPath(), $"no-such-key-{Guid.NewGuid():N}.pem") }]),
            "active only in the future" => ("Jwt:SigningKeys", "no key active", [Key(ApiProcess.Key.Pem, tomorrow)]),
            _ => throw new ArgumentOutOfRangeException(nameof(problem)),
        };
        var (setting, reason, keys) = expected;
        var problems = new List<string>();

        var loaded = SigningKeyLoader.Load(keys, SigningAlgorithms.RS256, DateTimeOffset.UtcNow, problems);

        Assert.Empty(loaded);
        var message = Assert.Single(problems);
        Assert.StartsWith(setting, message, StringComparison.Ordinal);
        Assert.Contains(reason, message, StringComparison.Ordinal);
        foreach (var pem in keys.Select(key => key.Pem).OfType<string>())
        {
            Assert.All(pem.Split('\n').Where(part => part.Length > 16 && !part.StartsWith("-----", StringComparison.Ordinal)),
                part => Assert.DoesNotContain(part, message, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void A_usable_ring_of_a_current_and_a_future_key_loads_in_activation_order()
    {
        var problems = new List<string>();
        var tomorrow = DateTimeOffset.UtcNow.AddDays(1);

        var loaded = SigningKeyLoader.Load(
            [Key(Pem(ECDsa.Create(ECCurve.NamedCurves.nistP256)), tomorrow, SigningAlgorithms.ES256), Key(ApiProcess.Key.Pem)],
            SigningAlgorithms.RS256, DateTimeOffset.UtcNow, problems);

        Assert.Empty(problems);
        Assert.Equal([SigningAlgorithms.RS256, SigningAlgorithms.ES256], loaded.Select(key => key.Algorithm));
    }

    private static SigningKeySettings Key(string pem, DateTimeOffset? activeFrom = null, string? algorithm = null) =>
        new() { Pem = pem, ActiveFrom = activeFrom, Algorithm = algorithm };

    private static string Pem(AsymmetricAlgorithm key)
    {
        using (key)
        {
            return key.ExportPkcs8PrivateKeyPem();
        }
    }

    private static string EncryptedPem()
    {
        using var key = RSA.Create(2048);
        return key.ExportEncryptedPkcs8PrivateKeyPem("passphrase", new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 1000));
    }

    /// <summary>A PEM whose body is cut short: the shape of a secret that was truncated on its way to the app.</summary>
    private static string MalformedPem()
    {
        var pem = Pem(RSA.Create(2048));
        return pem[..(pem.Length / 2)] + "\n-----END PRIVATE KEY-----\n";
    }
}
