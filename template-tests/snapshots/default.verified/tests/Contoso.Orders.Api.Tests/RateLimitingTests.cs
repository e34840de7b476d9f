using System.Net;
using System.Net.Http.Json;
using Contoso.Orders.Api.Tests.Infrastructure;

namespace Contoso.Orders.Api.Tests;

/// <summary>Security checklist point 15.</summary>
[Collection(ApiCollection.Name)]
public sealed class RateLimitingTests(ApiFactory api)
{
    [Theory]
    [InlineData("/api/v1/auth/login")]
    [InlineData("/api/v1/auth/register")]
    public async Task Beyond_the_configured_limit_a_credential_endpoint_answers_429_with_retry_after(string path)
    {
        await using var app = api.WithSettings(new Dictionary<string, string?>
        {
            ["RateLimiting:PermitLimit"] = "3",
            ["RateLimiting:WindowSeconds"] = "120",
        });
        using var client = app.CreateClient();

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage last = null!;
        for (var i = 0; i < 4; i++)
        {
            last = await client.PostAsJsonAsync(path, new { email = ApiClient.NewEmail(), password = ApiClient.Password });
            statuses.Add(last.StatusCode);
        }

        Assert.DoesNotContain(HttpStatusCode.TooManyRequests, statuses.Take(3));
        await last.AssertProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.InRange(int.Parse(last.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture), 1, 120);
    }

    [Fact]
    public async Task The_limit_counts_each_endpoint_separately_and_leaves_other_endpoints_alone()
    {
        await using var app = api.WithSettings(new Dictionary<string, string?> { ["RateLimiting:PermitLimit"] = "1" });
        using var client = app.CreateClient();

        await client.LoginAsync(ApiClient.NewEmail());
        Assert.Equal(HttpStatusCode.TooManyRequests, (await client.LoginAsync(ApiClient.NewEmail())).StatusCode);

        Assert.Equal(HttpStatusCode.Accepted, (await client.RegisterAsync(ApiClient.NewEmail())).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
    }
}
