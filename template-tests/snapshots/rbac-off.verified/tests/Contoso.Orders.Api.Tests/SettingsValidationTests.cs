using Contoso.Orders.Api.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;

namespace Contoso.Orders.Api.Tests;

/// <summary>The settings' rules, one validator at a time (the signing keys' own are in CommandLineTests and SigningKeyTests).</summary>
public sealed class SettingsValidationTests
{
    private const string Issuer = "https://api.example.test";

    [Theory]
    [InlineData("RS256", true)]
    [InlineData("ES256", true)]
    [InlineData("HS256", false)]
    [InlineData("none", false)]
    public void The_algorithm_is_RS256_or_ES256(string algorithm, bool valid)
    {
        var failure = Validate(new JwtSettings { Algorithm = algorithm, Issuer = Issuer, Audience = "a" }, Environments.Production);

        Assert.Equal(valid, failure is null);
    }

    [Theory]
    [InlineData("", "Production", false)]
    [InlineData("contoso_orders", "Production", false)]
    [InlineData("https://api.example.test", "Production", true)]
    [InlineData("https://example.test/auth", "Production", true)]
    [InlineData("https://api.example.test?tenant=1", "Production", false)]
    [InlineData("http://api.example.test", "Production", false)]
    [InlineData("http://api.example.test", "Testing", false)]
    [InlineData("http://localhost:5080", "Development", true)]
    public void The_issuer_is_the_public_base_url_over_https_outside_development(string issuer, string environment, bool valid)
    {
        var failure = Validate(new JwtSettings { Issuer = issuer, Audience = "a" }, environment);

        Assert.Equal(valid, failure is null);
        if (!valid)
        {
            Assert.Contains("Jwt:Issuer", failure);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1441)]
    public void The_access_token_lifetime_is_bounded(int minutes)
    {
        Assert.Contains("Jwt:AccessTokenMinutes", Validate(new JwtSettings { Issuer = Issuer, Audience = "a", AccessTokenMinutes = minutes }, Environments.Production));
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
    [InlineData(0, "00:15:00", "Auth:MaxFailedLoginsPerEmail")]
    [InlineData(-5, "00:15:00", "Auth:MaxFailedLoginsPerEmail")]
    [InlineData(1_000_001, "00:15:00", "Auth:MaxFailedLoginsPerEmail")]
    [InlineData(5, "00:00:00", "Auth:FailedLoginWindow")]
    [InlineData(5, "-00:01:00", "Auth:FailedLoginWindow")]
    [InlineData(5, "1.00:00:01", "Auth:FailedLoginWindow")]
    [InlineData(1, "00:00:01", null)]
    [InlineData(5, "00:15:00", null)]
    [InlineData(1_000_000, "1.00:00:00", null)]
    public void The_login_throttle_needs_a_positive_limit_and_a_window_of_a_second_to_a_day(int maxFailures, string window, string? setting)
    {
        var result = new AuthSettingsValidator(Host(Environments.Production)).Validate(null, new AuthSettings
        {
            MaxFailedLoginsPerEmail = maxFailures,
            FailedLoginWindow = TimeSpan.Parse(window, System.Globalization.CultureInfo.InvariantCulture),
        });

        if (setting is null)
        {
            Assert.True(result.Succeeded, result.FailureMessage);
            return;
        }

        // One line, naming the setting.
        Assert.StartsWith(setting + " ", Assert.Single(result.Failures!), StringComparison.Ordinal);
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
