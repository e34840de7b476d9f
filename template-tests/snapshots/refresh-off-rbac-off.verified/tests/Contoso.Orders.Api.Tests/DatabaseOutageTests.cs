using System.Diagnostics;
using System.Net;
using Contoso.Orders.Api.Configuration;
using Contoso.Orders.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using Npgsql;

namespace Contoso.Orders.Api.Tests;

/// <summary>
/// PostgreSQL goes away while the app runs, then comes back: the app answers 503 quickly meanwhile, recovers without a
/// restart, and no request of the outage left half-written rows.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class DatabaseOutageTests(ApiFactory api) : IAsyncLifetime
{
    private TcpProxy _proxy = null!;
    private WebApplicationFactory<Program> _app = null!;
    private HttpClient _client = null!;

    public Task InitializeAsync()
    {
        var server = new NpgsqlConnectionStringBuilder(api.Database.ConnectionString);
        _proxy = new TcpProxy(server.Host!, server.Port);
        server.Host = "127.0.0.1";
        server.Port = _proxy.Port;
        // No connect timeout in the connection string: the app's own default applies.
        server.Remove("Timeout");
        _app = api.WithSettings(new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = server.ConnectionString });
        _client = _app.CreateClient();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        // The proxy first: it closes every connection, so that a command still waiting on a connection that the
        // blackhole swallowed fails at once instead of holding the app's stop for its command timeout.
        await _proxy.DisposeAsync();
        await _app.DisposeAsync();
    }

    [Fact]
    public async Task A_stopped_database_gives_fast_503s_then_the_app_recovers_by_itself_with_nothing_half_written()
    {
        var (email, tokens) = await _client.RegisterAndLoginAsync();
        var accessToken = tokens.GetProperty("accessToken").GetString()!;
        var newcomer = ApiClient.NewEmail("during-outage");
        // A request that succeeds for every endpoint that reads a body, arranged while the database is up.
        var requests = new List<(ApiEndpoint Endpoint, GoodRequest Request)>();
        foreach (var endpoint in ApiFeatures.WithBody)
        {
            requests.Add((endpoint, await endpoint.Body!.ArrangeAsync(api, _client)));
        }

        _proxy.Refuse();

        await AssertUnavailableAsync(() => _client.GetAsync("/health/ready"), expectProblem: false);
        await AssertUnavailableAsync(() => _client.RegisterAsync(newcomer));
        await AssertUnavailableAsync(() => _client.GetMeAsync(accessToken));
        foreach (var (endpoint, request) in requests)
        {
            await AssertUnavailableAsync(() => request.SendAsync(_client, endpoint));
        }

        _proxy.Restore();

        await EventuallyAsync(async () => (await _client.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK);
        Assert.Equal(0L, await api.Database.ScalarAsync<long>($"SELECT count(*) FROM users WHERE normalized_email = '{newcomer}'"));
        Assert.Equal(HttpStatusCode.OK, (await _client.LoginAsync(email)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _client.GetMeAsync(accessToken)).StatusCode);
        // Every request of the outage changed nothing: sent again, each still succeeds (a token it would have spent is unspent).
        foreach (var (endpoint, request) in requests)
        {
            Assert.Equal(request.Success, (await request.SendAsync(_client, endpoint)).StatusCode);
        }
    }

    [Fact]
    public async Task A_database_that_never_answers_gives_503s_within_seconds_instead_of_hanging()
    {
        var (email, _) = await _client.RegisterAndLoginAsync();

        _proxy.Blackhole();

        // Side by side, each timed on its own: none waits for another's timeout, however many there are.
        await Task.WhenAll([
            AssertUnavailableAsync(() => _client.GetAsync("/health/ready"), expectProblem: false),
            .. Enumerable.Range(0, ConcurrentLogins).Select(_ => AssertUnavailableAsync(() => _client.LoginAsync(email))),
        ]);

        _proxy.Restore();
        await EventuallyAsync(async () => (await _client.LoginAsync(email)).StatusCode == HttpStatusCode.OK);
    }

    /// <summary>
    /// More requests at once than the app's own background work makes: were connections opened one at a time (as a
    /// multiplexing data source does), the last would wait for every attempt before its own to time out.
    /// </summary>
    private const int ConcurrentLogins = 5;

    /// <summary>
    /// 503 (a Problem Details document for API endpoints) within seconds, without internal detail: within one connect
    /// timeout, since each request's attempt to connect is timed on its own, and a margin for a busy machine.
    /// </summary>
    private static async Task AssertUnavailableAsync(Func<Task<HttpResponseMessage>> request, bool expectProblem = true)
    {
        var stopwatch = Stopwatch.StartNew();
        var response = await request();
        stopwatch.Stop();

        var bound = TimeSpan.FromSeconds(DatabaseSettings.DefaultConnectTimeoutSeconds) + TimeSpan.FromSeconds(5);
        Assert.True(stopwatch.Elapsed < bound, $"The answer took {stopwatch.Elapsed}, more than {bound}.");
        if (!expectProblem)
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            return;
        }

        var problem = await response.AssertProblemAsync(HttpStatusCode.ServiceUnavailable);
        var body = problem.GetRawText();
        Assert.DoesNotContain("Npgsql", body);
        Assert.DoesNotContain("127.0.0.1", body);
        Assert.DoesNotContain("   at ", body);
        Assert.True(response.Headers.RetryAfter is not null, "503 answers say when to retry.");
    }

    private static Task EventuallyAsync(Func<Task<bool>> condition) => Patience.UntilAsync(condition, "the app to recover once the database came back");
}
