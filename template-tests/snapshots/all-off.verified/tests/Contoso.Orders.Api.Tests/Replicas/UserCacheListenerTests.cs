using System.Diagnostics;
using System.Net;
using Contoso.Orders.Api.Tests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;
using Npgsql;
using Xunit.Abstractions;

namespace Contoso.Orders.Api.Tests.Replicas;

/// <summary>
/// A replica whose connection to the database goes away while another party changes a user: the change still takes
/// effect there within a second. Its cached users are not served while it cannot hear the database's announcements
/// (it answers from the database, or 503 while that is unreachable), and what it held is dropped once it hears again.
/// </summary>
[Collection(ReplicaCollection.Name)]
public sealed class UserCacheListenerTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Lost = "The user change listener lost its database connection";
    private const string Back = "The user change listener is back";

    private ApiReplicas _replicas = null!;
    private TcpProxy _proxy = null!;
    private ServingApi _proxied = null!;

    public async Task InitializeAsync()
    {
        _replicas = await ApiReplicas.StartAsync(count: 1);
        var server = new NpgsqlConnectionStringBuilder(_replicas.Database.ConnectionString);
        _proxy = new TcpProxy(server.Host!, server.Port);
        server.Host = "127.0.0.1";
        server.Port = _proxy.Port;
        var environment = ApiProcess.Production(("ConnectionStrings__Postgres", server.ConnectionString), ("RateLimiting__PermitLimit", "100000"));
        foreach (var (key, value) in ApiProcess.AsEnvironment(_replicas.Mail.Settings))
        {
            environment[key] = value;
        }

        _proxied = await ServingApi.StartAsync(environment);
    }

    public async Task DisposeAsync()
    {
        await _proxied.DisposeAsync();
        await _proxy.DisposeAsync();
        await _replicas.DisposeAsync();
    }

    [Fact]
    public async Task A_replica_cut_off_from_the_database_never_serves_a_user_deactivated_meanwhile_and_refuses_it_once_back()
    {
        var token = await ArrangeCachedUserAsync();

        _proxy.Refuse();
        var since = await DeactivateAsync(token);
        await AssertNoAcceptanceAfterBoundAsync(token, since, TimeSpan.FromSeconds(3));
        _proxy.Restore();

        await AssertRefusedOnceBackAsync(token);
        AssertLoggedOnceEach();
    }

    [Fact]
    public async Task A_database_restart_while_a_user_is_deactivated_does_not_let_the_cached_user_through()
    {
        var token = await ArrangeCachedUserAsync();

        _proxy.Refuse();
        var since = await DeactivateAsync(token);
        await Task.Delay(100);
        _proxy.Restore();

        await AssertNoAcceptanceAfterBoundAsync(token, since, TimeSpan.FromSeconds(2));
        await AssertRefusedOnceBackAsync(token);
    }

    [Fact]
    public async Task A_silently_dropped_connection_stops_the_cache_within_the_bound()
    {
        var token = await ArrangeCachedUserAsync();

        _proxy.Stall();
        var since = await DeactivateAsync(token);
        await AssertNoAcceptanceAfterBoundAsync(token, since, TimeSpan.FromSeconds(3));
        _proxy.Restore();

        await AssertRefusedOnceBackAsync(token);
    }

    private async Task<string> ArrangeCachedUserAsync()
    {
        var token = await _replicas[0].AccessTokenForNewUserAsync();
        // The listener has confirmed a round trip, so the user is cached from the first request on.
        await Task.Delay(500);
        Assert.Equal(HttpStatusCode.OK, (await _proxied.Client.GetMeAsync(token)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _proxied.Client.GetMeAsync(token)).StatusCode);
        return token;
    }

    /// <summary>Deactivates the token's user directly in the database; returns a stopwatch started at the commit.</summary>
    private async Task<Stopwatch> DeactivateAsync(string token)
    {
        var userId = Guid.Parse(new JsonWebToken(token).Subject);
        Assert.Equal(1, await _replicas.Database.ExecuteAsync($"UPDATE users SET is_active = false WHERE id = '{userId}'"));
        return Stopwatch.StartNew();
    }

    /// <summary>
    /// Polls the cut-off replica: a 200 is allowed only within <see cref="Revocation.Bound"/> of the change; after it,
    /// a 401, a 5xx, or no answer within a second and a half (a request waiting on a connection that went silent).
    /// </summary>
    private async Task AssertNoAcceptanceAfterBoundAsync(string token, Stopwatch since, TimeSpan duration)
    {
        var answers = new Dictionary<string, int>();
        TimeSpan? lastAccepted = null;
        while (since.Elapsed < duration)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1.5));
            string answer;
            try
            {
                var response = await _proxied.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/api/v1/users/me").WithBearer(token), timeout.Token);
                answer = ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    lastAccepted = since.Elapsed;
                }
                else
                {
                    Assert.True(response.StatusCode == HttpStatusCode.Unauthorized || (int)response.StatusCode >= 500, $"Unexpected {answer}.");
                }
            }
            catch (OperationCanceledException)
            {
                answer = "no answer";
            }

            answers[answer] = answers.GetValueOrDefault(answer) + 1;
            await Task.Delay(10);
        }

        output.WriteLine($"while cut off: {string.Join(", ", answers.Select(pair => $"{pair.Key} x{pair.Value}"))}; "
            + $"last 200 {(lastAccepted is { } last ? Revocation.Milliseconds(last) : "never")} after the change");
        if (lastAccepted is { } served)
        {
            Assert.True(served <= Revocation.Bound, $"The deactivated user was served {Revocation.Milliseconds(served)} after the change.");
        }
    }

    private async Task AssertRefusedOnceBackAsync(string token)
    {
        await Revocation.UntilAsync(_proxied.Client, token, status => status != HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(30));
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await _proxied.Client.GetMeAsync(token)).StatusCode);
            await Task.Delay(25);
        }
    }

    private void AssertLoggedOnceEach()
    {
        var lines = _proxied.StandardOutput;
        Assert.Single(lines, line => line.Contains(Lost, StringComparison.Ordinal));
        Assert.Single(lines, line => line.Contains(Back, StringComparison.Ordinal));
    }
}
