using my_api.Api.ExternalLogins;
using my_api.Api.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Options;

namespace my_api.Api.Tests.ExternalLogins;

/// <summary>
/// The providers' settings and the return URLs' allow-list, refused at start-up with one line naming the setting and
/// never the client secret.
/// </summary>
public sealed class ExternalLoginSettingsTests
{
    private const string ReturnUrl = "https://app.example.com/signed-in";

    /// <summary>Made for each test, and looked for in every failure's message.</summary>
    private readonly string _secret = $"client-secret-{Guid.NewGuid():N}";

    public ExternalLoginSettingsTests() => TestRun.RememberSecret(_secret);

    [Fact]
    public void No_provider_at_all_is_valid()
    {
        Assert.True(Validate(new ExternalLoginSettings(), Environments.Production).Succeeded);
        Assert.True(Validate(new ExternalLoginSettings { AllowedReturnUrls = [ReturnUrl] }, Environments.Production).Succeeded);
    }

    [Theory]
    [InlineData("a")]
    [InlineData("google")]
    [InlineData("entra-id")]
    [InlineData("k8s-2")]
    [InlineData("abcdefghijklmnopqrstuvwxyz012345")]
    public void A_provider_name_of_lower_case_letters_digits_and_hyphens_is_valid(string name) =>
        Assert.True(Validate(Settings(name, Provider()), Environments.Production).Succeeded);

    [Theory]
    [InlineData("")]
    [InlineData("Google")]
    [InlineData("my_idp")]
    [InlineData("-idp")]
    [InlineData("idp-")]
    [InlineData("abcdefghijklmnopqrstuvwxyz0123456")]
    [InlineData("idp/x")]
    [InlineData("idp x")]
    [InlineData("id%70")]
    [InlineData("idé")]
    [InlineData("idp\u0000")]
    public void A_provider_name_that_is_no_plain_path_segment_is_refused(string name) =>
        AssertRefused(Validate(Settings(name, Provider()), Environments.Production), "ExternalLogin:Providers");

    [Theory]
    [InlineData("https://idp.example.com", "Production", true)]
    [InlineData("https://login.example.com/tenant/v2.0", "Production", true)]
    [InlineData("https://idp.example.com/", "Production", true)]
    [InlineData("http://127.0.0.1:8080/realms/main", "Production", true)]
    [InlineData("http://localhost:8080/realms/main", "Production", true)]
    [InlineData("http://[::1]:8080", "Production", true)]
    [InlineData("http://idp.example.com", "Development", true)]
    [InlineData("http://idp.example.com", "Production", false)]
    [InlineData("http://idp.example.com", "Testing", false)]
    [InlineData("http://10.0.0.5:8080", "Production", false)]
    [InlineData("idp.example.com", "Production", false)]
    [InlineData("/realms/main", "Development", false)]
    [InlineData("ftp://idp.example.com", "Production", false)]
    [InlineData("https://user:pass@idp.example.com", "Production", false)]
    [InlineData("https://idp.example.com/#fragment", "Production", false)]
    [InlineData("https://idp.example.com/?tenant=1", "Production", false)]
    [InlineData("", "Production", false)]
    [InlineData(null, "Development", false)]
    public void The_authority_is_https_or_http_on_loopback_outside_development(string? authority, string environment, bool valid)
    {
        var result = Validate(Settings("idp", Provider(authority: authority)), environment);

        Assert.True(valid == result.Succeeded, result.FailureMessage);
        if (!valid)
        {
            AssertRefused(result, "ExternalLogin:Providers:idp:Authority");
            Assert.DoesNotContain("pass", result.FailureMessage, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public void A_client_id_is_required(string? clientId) =>
        AssertRefused(Validate(Settings("idp", Provider(clientId: clientId)), Environments.Production), "ExternalLogin:Providers:idp:ClientId");

    [Fact]
    public void A_client_secret_is_optional_for_a_public_client() =>
        Assert.True(Validate(Settings("idp", new ExternalProviderSettings { Authority = "https://idp.example.com", ClientId = "api" }), Environments.Production).Succeeded);

    [Theory]
    [InlineData("/signed-in", "Production")]
    [InlineData("signed-in", "Development")]
    [InlineData("//app.example.com/signed-in", "Production")]
    [InlineData("http://app.example.com/signed-in", "Production")]
    [InlineData("https://app.example.com/signed-in#done", "Production")]
    [InlineData("https://user@app.example.com/signed-in", "Production")]
    [InlineData("javascript:alert(1)", "Development")]
    [InlineData("", "Production")]
    public void An_allowed_return_url_is_absolute_and_https_outside_development(string url, string environment)
    {
        var settings = Settings("idp", Provider());
        settings.AllowedReturnUrls = [ReturnUrl, url];

        AssertRefused(Validate(settings, environment), "ExternalLogin:AllowedReturnUrls");
    }

    [Theory]
    [InlineData("http://localhost:3000/signed-in", "Production")]
    [InlineData("http://app.example.com/signed-in", "Development")]
    [InlineData("https://app.example.com", "Production")]
    public void An_allowed_return_url_on_loopback_or_in_development_may_be_http(string url, string environment)
    {
        var settings = Settings("idp", Provider());
        settings.AllowedReturnUrls = [url];

        Assert.True(Validate(settings, environment).Succeeded);
    }

    [Fact]
    public void Providers_need_an_allowed_return_url()
    {
        var settings = Settings("idp", Provider());
        settings.AllowedReturnUrls = [];

        AssertRefused(Validate(settings, Environments.Production), "ExternalLogin:AllowedReturnUrls");
    }

    [Fact]
    public void The_test_apps_settings_are_valid_in_production()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(ExternalLoginsFeature.Settings(_ => _secret).Append(new("ExternalLogin:AllowedReturnUrls:0", ReturnUrl)))
            .Build();
        var settings = new ExternalLoginSettings();
        configuration.GetSection(ExternalLoginSettings.Section).Bind(settings);

        var result = Validate(settings, Environments.Production);

        Assert.True(result.Succeeded, result.FailureMessage);
        Assert.Equal(3, settings.Providers.Count);
    }

    /// <summary>A provider as the tests' apps have it, but for the given values.</summary>
    private ExternalProviderSettings Provider(string? authority = "https://idp.example.com", string? clientId = "my_api-api") =>
        new() { Authority = authority, ClientId = clientId, ClientSecret = _secret };

    private static ExternalLoginSettings Settings(string name, ExternalProviderSettings provider) => new()
    {
        AllowedReturnUrls = [ReturnUrl],
        Providers = new(StringComparer.Ordinal) { [name] = provider },
    };

    /// <summary>A refusal naming the setting, on one line, without the secret.</summary>
    private void AssertRefused(ValidateOptionsResult result, string setting)
    {
        Assert.True(result.Failed, $"{setting} should be refused.");
        Assert.StartsWith(setting, result.FailureMessage, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', result.FailureMessage);
        Assert.DoesNotContain(_secret, result.FailureMessage, StringComparison.Ordinal);
    }

    private static ValidateOptionsResult Validate(ExternalLoginSettings settings, string environment) =>
        new ExternalLoginSettingsValidator(new HostingEnvironment { EnvironmentName = environment }).Validate(null, settings);
}
