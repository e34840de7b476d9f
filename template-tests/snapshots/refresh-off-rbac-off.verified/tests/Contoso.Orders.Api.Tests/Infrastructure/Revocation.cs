using System.Diagnostics;
using System.Globalization;
using System.Net;
using Xunit.Abstractions;

namespace Contoso.Orders.Api.Tests.Infrastructure;

/// <summary>
/// Measures how long an access token keeps working on other replicas after its user changed on one: each replica is
/// polled with <c>GET /users/me</c> every 20 ms (2% of the bound) until it answers 401.
/// </summary>
public static class Revocation
{
    /// <summary>"Several replicas": a change takes effect on every replica within this.</summary>
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);

    /// <summary>Answers 200 on every client: each replica has the user in its cache.</summary>
    public static async Task WarmAsync(this ApiReplicas replicas, string token)
    {
        for (var i = 0; i < replicas.Count; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await replicas[i].GetMeAsync(token)).StatusCode);
        }
    }

    /// <summary>
    /// Polls every client at once from <paramref name="since"/> until each answers 401; asserts each did within
    /// <see cref="Bound"/> and writes the times to the output.
    /// </summary>
    public static async Task AssertRefusedWithinBoundAsync(IEnumerable<HttpClient> clients, string token, Stopwatch since, ITestOutputHelper output, string what)
    {
        var times = await Task.WhenAll(clients.Select(client => FirstRefusalAsync(client, token, since)));
        output.WriteLine($"{what}: first 401 after {string.Join(", ", times.Select(Milliseconds))} (polled every {PollInterval.TotalMilliseconds} ms)");
        Assert.All(times, time => Assert.True(time <= Bound, $"{what}: a replica accepted the token for {Milliseconds(time)}."));
    }

    /// <summary>
    /// Time from <paramref name="since"/> to the sending of the client's first request answered 401: every request sent
    /// before it was accepted. The time a request is sent, not answered, because an answer read late (the test process
    /// waiting for a core on a busy machine) says nothing about how long the replica accepted the token. Gives up (and
    /// fails) after 10 s or <paramref name="giveUpAfter"/>.
    /// </summary>
    public static async Task<TimeSpan> FirstRefusalAsync(HttpClient client, string token, Stopwatch since, TimeSpan? giveUpAfter = null)
    {
        var limit = giveUpAfter ?? TimeSpan.FromSeconds(10);
        while (since.Elapsed < limit)
        {
            var sentAt = since.Elapsed;
            var status = (await client.GetMeAsync(token)).StatusCode;
            if (status == HttpStatusCode.Unauthorized)
            {
                return sentAt;
            }

            Assert.True(status == HttpStatusCode.OK, $"GET /users/me answered {(int)status} while polling.");
            await Task.Delay(PollInterval);
        }

        Assert.Fail($"The token was still accepted {Milliseconds(limit)} after the change.");
        return default;
    }

    /// <summary>Polls until the client's answer is not 200 any more and passes the condition, within the bound; returns it.</summary>
    public static async Task<HttpStatusCode> UntilAsync(HttpClient client, string token, Func<HttpStatusCode, bool> condition, TimeSpan within)
    {
        var stopwatch = Stopwatch.StartNew();
        while (true)
        {
            var status = (await client.GetMeAsync(token)).StatusCode;
            if (condition(status))
            {
                return status;
            }

            Assert.True(stopwatch.Elapsed < within, $"GET /users/me still answered {(int)status} after {Milliseconds(stopwatch.Elapsed)}.");
            await Task.Delay(PollInterval);
        }
    }

    public static string Milliseconds(TimeSpan time) => time.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture) + " ms";
}
