using Contoso.Orders.Api.Passkeys;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;

namespace Contoso.Orders.Api.Tests.Passkeys;

/// <summary>The relying party's settings, refused at start-up as a browser would refuse them later, naming the setting and never its value.</summary>
public sealed class PasskeySettingsTests
{
    [Theory]
    [InlineData("example.com", "https://app.example.com", "Production", true)]
    [InlineData("example.com", "https://example.com", "Production", true)]
    [InlineData("example.com", "https://app.example.com:8443", "Production", true)]
    [InlineData("localhost", "http://localhost:5173", "Production", true)]
    [InlineData("localhost", "http://localhost", "Development", true)]
    [InlineData("example.com", "android:apk-key-hash:4oGq6xXwGLbgKfYwkOOfLfUo0wCTi8VJUK6Po2fDWrQ", "Production", true)]
    [InlineData(null, "https://app.example.com", "Production", false)]
    [InlineData("", "https://app.example.com", "Development", false)]
    [InlineData("https://example.com", "https://app.example.com", "Production", false)]
    [InlineData("example.com:443", "https://app.example.com", "Production", false)]
    [InlineData("Example.com", "https://app.example.com", "Production", false)]
    [InlineData("example.com", "http://app.example.com", "Production", false)]
    [InlineData("example.com", "https://app.example.net", "Production", false)]
    [InlineData("example.com", "https://notexample.com", "Production", false)]
    [InlineData("example.com", "https://app.example.com/", "Production", false)]
    [InlineData("example.com", "https://app.example.com/login", "Production", false)]
    [InlineData("example.com", "login.example.com", "Production", false)]
    [InlineData("localhost", "http://127.0.0.1:5173", "Production", false)]
    [InlineData("127.0.0.1", "http://127.0.0.1:5173", "Development", false)]
    public void The_rp_id_is_a_domain_and_each_origin_a_secure_context_on_it(string? rpId, string origin, string environment, bool valid)
    {
        var result = Validate(new PasskeySettings { RpId = rpId, RpName = "Contoso", Origins = [origin] }, environment);

        Assert.Equal(valid, result.Succeeded);
        if (!valid)
        {
            Assert.StartsWith("Passkeys:", result.FailureMessage, StringComparison.Ordinal);
            Assert.DoesNotContain(origin, result.FailureMessage, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void An_origin_and_a_name_are_required()
    {
        Assert.Contains("Passkeys:Origins", Validate(new PasskeySettings { RpId = "example.com", RpName = "Contoso" }, Environments.Production).FailureMessage);
        Assert.Contains("Passkeys:RpName", Validate(new PasskeySettings { RpId = "example.com", RpName = " ", Origins = ["https://example.com"] }, Environments.Production).FailureMessage);
    }

    private static Microsoft.Extensions.Options.ValidateOptionsResult Validate(PasskeySettings settings, string environment) =>
        new PasskeySettingsValidator(new HostingEnvironment { EnvironmentName = environment }).Validate(null, settings);
}
