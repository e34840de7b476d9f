using Contoso.Orders.Api.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;

namespace Contoso.Orders.Api.Tests;

/// <summary>Security checklist point 4, and the other settings' rules, one validator at a time.</summary>
public sealed class SettingsValidationTests
{
    private const string GoodKey = "a-perfectly-random-looking-key-of-enough-length-0123456789";

    [Theory]
    [InlineData("", "Jwt:SigningKey is not set")]
    [InlineData("too-short-key", "at least 32 bytes")]
    [InlineData("change-me-please-change-me-please-change-me", "placeholder")]
    [InlineData("dev-only-0123456789abcdef0123456789abcdef0123456789abcdef", "Development-only")]
    public void A_signing_key_is_refused_outside_development_when(string key, string reason)
    {
        var failure = Validate(new JwtSettings { SigningKey = key, Issuer = "i", Audience = "a" }, Environments.Production);

        Assert.Contains(reason, failure);
        if (key.Length > 0)
        {
            Assert.DoesNotContain(key, failure);
        }
    }

    [Fact]
    public void The_development_key_is_accepted_in_development()
    {
        Assert.Null(Validate(new JwtSettings { SigningKey = "dev-only-" + new string('k', 40), Issuer = "i", Audience = "a" }, Environments.Development));
    }

    [Theory]
    [InlineData("HS256", 32, true)]
    [InlineData("HS384", 47, false)]
    [InlineData("HS384", 48, true)]
    [InlineData("HS512", 63, false)]
    [InlineData("HS512", 64, true)]
    [InlineData("RS256", 64, false)]
    [InlineData("none", 64, false)]
    public void The_key_must_be_as_long_as_the_algorithm_hash(string algorithm, int keyLength, bool valid)
    {
        var failure = Validate(new JwtSettings { SigningKey = new string('k', keyLength), Algorithm = algorithm, Issuer = "i", Audience = "a" }, Environments.Production);

        Assert.Equal(valid, failure is null);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1441)]
    public void The_access_token_lifetime_is_bounded(int minutes)
    {
        Assert.Contains("Jwt:AccessTokenMinutes", Validate(new JwtSettings { SigningKey = GoodKey, Issuer = "i", Audience = "a", AccessTokenMinutes = minutes }, Environments.Production));
    }

    [Theory]
    [InlineData(9, "Production", false)]
    [InlineData(10, "Production", true)]
    [InlineData(4, "Development", true)]
    [InlineData(4, "Testing", true)]
    [InlineData(3, "Testing", false)]
    [InlineData(32, "Production", false)]
    public void The_bcrypt_work_factor_may_be_below_10_only_in_development_and_tests(int workFactor, string environment, bool valid)
    {
        var result = new AuthSettingsValidator(Host(environment)).Validate(null, new AuthSettings { BcryptWorkFactor = workFactor });

        Assert.Equal(valid, result.Succeeded);
    }

    [Theory]
    [InlineData(0, 60, false)]
    [InlineData(10, 0, false)]
    [InlineData(10, 60, true)]
    public void Rate_limits_must_be_positive(int permitLimit, int windowSeconds, bool valid)
    {
        var result = new RateLimitingSettingsValidator().Validate(null, new RateLimitingSettings { PermitLimit = permitLimit, WindowSeconds = windowSeconds });

        Assert.Equal(valid, result.Succeeded);
    }

    [Theory]
    [InlineData("*", false)]
    [InlineData("app.example.com", false)]
    [InlineData("ftp://app.example.com", false)]
    [InlineData("https://app.example.com", true)]
    public void Cors_origins_must_be_explicit_http_origins(string origin, bool valid)
    {
        var result = new CorsSettingsValidator().Validate(null, new CorsSettings { AllowedOrigins = [origin] });

        Assert.Equal(valid, result.Succeeded);
    }

    private static string? Validate(JwtSettings settings, string environment)
    {
        var result = new JwtSettingsValidator(Host(environment)).Validate(null, settings);
        return result.Succeeded ? null : result.FailureMessage;
    }

    private static HostingEnvironment Host(string environment) => new() { EnvironmentName = environment };
}
