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
public sealed class UserCacheListenerTests(ReplicaCollection.Shared shared, UserCacheListenerTests.CutOffReplica cutOff, ITestOutputHelper output)
    : IClassFixture<UserCacheListenerTests.CutOffReplica>, IAsyncLifetime
{
    private const string Lost = "The user change listener lost its database connection";
    private const string Back = "The user change listener is back";

    private readonly ApiReplicas _replicas = shared.Replicas;
    private TcpProxy _proxy = null!;
    private ServingApi _proxied = null!;
    private int _linesBefore;

    /// <summary>
    /// One more replica on the collection's database, reaching it through a proxy the tests cut, started once for
    /// the class. Each test begins once its listener is connected again after the test before.
    /// </summary>
    public sealed class CutOffReplica : IAsyncLifetime
    {
        public TcpProxy Proxy { get; private set; } = null!;

        public ServingApi? Replica { get; private set; }

        public async Task<ServingApi> StartedAsync(ApiReplicas others)
        {
            if (Replica is not null)
            {
                return Replica;
            }

            var server = new NpgsqlConnectionStringBuilder(others.Database.ConnectionString);
            Proxy = new TcpProxy(server.Host!, server.Port);
            server.Host = "127.0.0.1";
            server.Port = Proxy.Port;
            var environment = ApiProcess.Production(("ConnectionStrings__Postgres", server.ConnectionString), ("RateLimiting__PermitLimit", "100000"));
            foreach (var (key, value) in ApiProcess.AsEnvironment(others.Mail.Settings))
            {
                environment[key] = value;
            }

            return Replica = await ServingApi.StartAsync(environment);
        }

        public Task InitializeAsync() => Task.CompletedTask;

        // IAsyncLifetime rather than IAsyncDisposable: xunit disposes a class fixture through this one only.
        public async Task DisposeAsync()
        {
            if (Replica is not null)
            {
                await Replica.DisposeAsync();
                await Proxy.DisposeAsync();
            }
        }
    }

    public async Task InitializeAsync()
    {
        _proxied = await cutOff.StartedAsync(_replicas);
        _proxy = cutOff.Proxy;
        await Patience.UntilAsync(() => Count(Back) >= Count(Lost), "the listener to be connected again after the test before");
        _linesBefore = _proxied.StandardOutput.Count;
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private int Count(string text) => _proxied.StandardOutput.Count(line => line.Contains(text, StringComparison.Ordinal));

    [Fact]
    public async Task A_replica_cut_off_from_the_database_never_serves_a_user_deactivated_meanwhile_and_refuses_it_once_back()
    {
        var token = await ArrangeCachedUserAsync();

        _proxy.Refuse();
        var since = await DeactivateAsync(token);
        await AssertNoAcceptanceAfterBoundAsync(token, since, TimeSpan.FromSeconds(3));
        _proxy.Restore();

        await AssertRefusedOnceBackAsync(token);
        await AssertLoggedOnceEachAsync();
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
    /// A request counts from when it was sent: the replica decided on it then or later, however long the answer took.
    /// </summary>
    private async Task AssertNoAcceptanceAfterBoundAsync(string token, Stopwatch since, TimeSpan duration)
    {
        var answers = new Dictionary<string, int>();
        TimeSpan? lastAccepted = null;
        while (since.Elapsed < duration)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1.5));
            var sent = since.Elapsed;
            string answer;
            try
            {
                var response = await _proxied.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/api/v1/users/me").WithBearer(token), timeout.Token);
                answer = ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    lastAccepted = sent;
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
        await Revocation.UntilAsync(_proxied.Client, token, status => status != HttpStatusCode.ServiceUnavailable, Patience.Limit);
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await _proxied.Client.GetMeAsync(token)).StatusCode);
            await Task.Delay(25);
        }
    }

    /// <summary>
    /// The listener said it lost the connection, and that it is back, once each. Requests may be answered from the
    /// database again before the listener's own reconnection, which waits out its retry delay: wait for its word.
    /// </summary>
    private async Task AssertLoggedOnceEachAsync()
    {
        await Patience.UntilAsync(() => _proxied.StandardOutput.Skip(_linesBefore).Any(line => line.Contains(Back, StringComparison.Ordinal)), "the listener to say it is back");
        var lines = _proxied.StandardOutput.Skip(_linesBefore);
        Assert.Single(lines, line => line.Contains(Lost, StringComparison.Ordinal));
        Assert.Single(lines, line => line.Contains(Back, StringComparison.Ordinal));
    }
}
