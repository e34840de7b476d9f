using System.Net;
using Contoso.Orders.Api.Tests.Infrastructure;

namespace Contoso.Orders.Api.Tests;

/// <summary>Security checklist points 21 and 22.</summary>
[Collection(ApiCollection.Name)]
public sealed class TransportTests(ApiFactory api)
{
    private static readonly Dictionary<string, string?> ProductionSettings = new()
    {
        ["Auth:BcryptWorkFactor"] = "10",
        ["https_port"] = "443",
    };

    [Fact]
    public async Task Outside_development_plain_http_is_redirected_to_https()
    {
        await using var app = api.WithSettings(ProductionSettings, environment: "Production");
        using var client = app.CreateClient(new() { AllowAutoRedirect = false, BaseAddress = new Uri("http://api.example.test") });

        var response = await client.GetAsync("/health/live");

        Assert.Equal(HttpStatusCode.TemporaryRedirect, response.StatusCode);
        Assert.Equal("https://api.example.test/health/live", response.Headers.Location?.ToString());
    }

    [Fact]
    public async Task Outside_development_https_responses_carry_hsts()
    {
        await using var app = api.WithSettings(ProductionSettings, environment: "Production");
        using var client = app.CreateClient(new() { BaseAddress = new Uri("https://api.example.test") });

        var response = await client.GetAsync("/health/live");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("max-age=", response.Headers.GetValues("Strict-Transport-Security").Single());
    }

    [Fact]
    public async Task Cors_is_off_unless_origins_are_configured()
    {
        using var client = api.CreateClient();

        var response = await client.SendAsync(Preflight("https://app.example.test"));

        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task A_configured_origin_is_allowed_and_no_other()
    {
        await using var app = api.WithSettings(new Dictionary<string, string?> { ["Cors:AllowedOrigins:0"] = "https://app.example.test" });
        using var client = app.CreateClient();

        var allowed = await client.SendAsync(Preflight("https://app.example.test"));
        var other = await client.SendAsync(Preflight("https://evil.example.test"));

        Assert.Equal("https://app.example.test", allowed.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.False(other.Headers.Contains("Access-Control-Allow-Origin"));
    }

    private static HttpRequestMessage Preflight(string origin)
    {
        var request = new HttpRequestMessage(HttpMethod.Options, "/api/v1/auth/login");
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "content-type");
        return request;
    }
}
