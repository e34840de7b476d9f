using System.Text;
using Contoso.Orders.Api.Tests.Infrastructure;
using Contoso.Orders.Api.TwoFactor;

namespace Contoso.Orders.Api.Tests.TwoFactor;

/// <summary>The codes themselves, without the API: the tests' own TOTP against RFC 6238, and the app's against the tests'.</summary>
public sealed class AuthenticatorCodeTests
{
    private static readonly byte[] RfcSecret = Encoding.ASCII.GetBytes("12345678901234567890");

    /// <summary>RFC 6238, appendix B, the SHA-1 rows (eight digits there; the app shows the last six).</summary>
    [Theory]
    [InlineData(59L, "94287082")]
    [InlineData(1111111109L, "07081804")]
    [InlineData(1111111111L, "14050471")]
    [InlineData(1234567890L, "89005924")]
    [InlineData(2000000000L, "69279037")]
    [InlineData(20000000000L, "65353130")]
    public void The_tests_own_TOTP_gives_the_RFC_6238_test_vectors(long unixTime, string expected)
    {
        var time = DateTimeOffset.FromUnixTimeSeconds(unixTime);

        Assert.Equal(expected, TestTotp.CodeAt(RfcSecret, time, digits: 8));
        Assert.Equal(expected[2..], TestTotp.CodeAt(RfcSecret, time));
    }

    [Fact]
    public void The_app_accepts_the_code_of_the_step_before_now_and_after_and_no_other()
    {
        var secret = AuthenticatorCodes.NewSecret();
        var now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_015);
        var step = TestTotp.StepAt(now);

        for (var offset = -1; offset <= 1; offset++)
        {
            Assert.Equal(step + offset, AuthenticatorCodes.MatchingStep(secret, TestTotp.CodeForStep(secret, step + offset), now));
        }

        foreach (var offset in new[] { -3, -2, 2, 3 })
        {
            var code = TestTotp.CodeForStep(secret, step + offset);
            // A code two steps away may by chance equal one within the window (one in a million): then it is that one.
            var inWindow = Enumerable.Range(-1, 3).Any(near => TestTotp.CodeForStep(secret, step + near) == code);
            Assert.True(inWindow || AuthenticatorCodes.MatchingStep(secret, code, now) is null, $"The code of step {offset} was accepted.");
        }

        Assert.Null(AuthenticatorCodes.MatchingStep(secret, "12345", now));
        Assert.Null(AuthenticatorCodes.MatchingStep(secret, "12345a", now));
    }

    [Fact]
    public void A_new_secret_is_160_random_bits_and_its_otpauth_uri_names_the_issuer_the_account_and_the_parameters()
    {
        var secret = AuthenticatorCodes.NewSecret();
        Assert.Equal(20, secret.Length);
        Assert.NotEqual(secret, AuthenticatorCodes.NewSecret());

        var uri = new Uri(AuthenticatorCodes.OtpauthUri(secret, "Contoso Orders", "ann@example.com"));

        Assert.Equal("otpauth", uri.Scheme);
        Assert.Equal("totp", uri.Host);
        Assert.Equal("/Contoso Orders:ann@example.com", Uri.UnescapeDataString(uri.AbsolutePath));
        var query = System.Web.HttpUtility.ParseQueryString(uri.Query);
        Assert.Equal(secret, TestTotp.FromBase32(query["secret"]!));
        Assert.Equal("Contoso Orders", query["issuer"]);
        Assert.Equal(("SHA1", "6", "30"), (query["algorithm"], query["digits"], query["period"]));
    }

    [Fact]
    public void Recovery_codes_are_ten_distinct_codes_of_at_least_50_bits_typed_in_any_case_with_or_without_dashes()
    {
        var codes = new RecoveryCodes(Microsoft.Extensions.Options.Options.Create(new Configuration.AuthSettings { BcryptWorkFactor = 4 }));

        var (shown, hashes) = codes.NewSet();

        Assert.Equal(10, shown.Distinct().Count());
        Assert.All(shown, code => Assert.Matches("^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$", code));
        // 31 symbols, 12 of them.
        Assert.True(12 * Math.Log2(31) >= 50);
        var typed = shown[3].ToLowerInvariant().Replace("-", " ", StringComparison.Ordinal);
        Assert.True(RecoveryCodes.Matches(RecoveryCodes.Normalize(typed)!, hashes[3]));
        Assert.False(RecoveryCodes.Matches(RecoveryCodes.Normalize(shown[4])!, hashes[3]));
        Assert.All(hashes, hash => Assert.StartsWith("$2", hash, StringComparison.Ordinal));
        Assert.Null(RecoveryCodes.Normalize("0OIL-0OIL-0OIL"));
    }
}
