using System.Diagnostics;
using System.Net;
using Contoso.Orders.Api.Tests.Infrastructure;

namespace Contoso.Orders.Api.Tests;

[Collection(ApiCollection.Name)]
public sealed class HealthTests(ApiFactory api)
{
    [Fact]
    public async Task Live_answers_200()
    {
        using var client = api.CreateClient();

        var response = await client.GetAsync("/health/live");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Ready_answers_200_when_postgres_answers()
    {
        using var client = api.CreateClient();

        var response = await client.GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Ready_answers_503_within_seconds_when_postgres_is_unreachable_while_live_stays_200()
    {
        // Port 1 on loopback: nothing listens there, so every connection attempt fails.
        await using var unreachable = api.WithSettings(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = "Host=127.0.0.1;Port=1;Database=nowhere;Username=nobody;Password=unused;Timeout=2",
        });
        using var client = unreachable.CreateClient();

        var stopwatch = Stopwatch.StartNew();
        var ready = await client.GetAsync("/health/ready");
        stopwatch.Stop();
        var live = await client.GetAsync("/health/live");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal("Unhealthy", await ready.Content.ReadAsStringAsync());
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(10), $"/health/ready took {stopwatch.Elapsed}.");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }
}
