using System.Net;
using System.Text.Json.Nodes;
using Contoso.Orders.Api.Auth;
using Contoso.Orders.Api.Tests.Infrastructure;

namespace Contoso.Orders.Api.Tests.Replicas;

/// <summary>
/// Security checklist point 30 and "Several replicas": failed logins for one email are counted once for all
/// replicas, so failures spread over them throttle the email on every one of them, alike for an email that has an
/// account and one that has none. The replicas run with the default limit (5) and window (15 minutes).
/// </summary>
[Collection(ReplicaCollection.Name)]
public sealed class ReplicaLoginThrottleTests(ReplicaCollection.Shared shared)
{
    private const int Limit = 5;
    private static readonly int WindowSeconds = (int)new Configuration.AuthSettings().FailedLoginWindow.TotalSeconds;

    private readonly ApiReplicas _replicas = shared.Replicas;

    [Fact]
    public async Task Failures_spread_over_the_replicas_throttle_the_email_on_every_replica_and_no_other_email()
    {
        var email = ApiClient.NewEmail();
        var other = ApiClient.NewEmail("other");
        await _replicas[0].RegisterConfirmedAsync(email);
        await _replicas[0].RegisterConfirmedAsync(other);

        await FailAsync(email, Limit);

        for (var replica = 0; replica < _replicas.Count; replica++)
        {
            // The right password makes no difference: it is not checked.
            await AssertThrottledAsync(await _replicas[replica].LoginAsync(email));
            await (await _replicas[replica].LoginAsync(other, "not the password")).AssertProblemAsync(HttpStatusCode.Unauthorized);
        }

        Assert.Equal(HttpStatusCode.OK, (await _replicas.Next().LoginAsync(other)).StatusCode);
    }

    [Fact]
    public async Task An_unknown_email_is_throttled_exactly_as_an_existing_one()
    {
        var existing = ApiClient.NewEmail();
        var unknown = ApiClient.NewEmail("unknown");
        await _replicas[0].RegisterConfirmedAsync(existing);

        await FailAsync(existing, Limit);
        await FailAsync(unknown, Limit);

        for (var replica = 0; replica < _replicas.Count; replica++)
        {
            var forExisting = await _replicas[replica].LoginAsync(existing, "not the password");
            var forUnknown = await _replicas[replica].LoginAsync(unknown, "not the password");

            await AssertThrottledAsync(forExisting);
            await AssertThrottledAsync(forUnknown);
            Assert.Equal(HeadersThatMatter(forExisting), HeadersThatMatter(forUnknown));
            Assert.Equal(await BodyAsync(forExisting), await BodyAsync(forUnknown));
        }
    }

    [Fact]
    public async Task A_success_on_any_replica_clears_the_count_for_every_replica()
    {
        var email = ApiClient.NewEmail();
        await _replicas[0].RegisterConfirmedAsync(email);
        await FailAsync(email, Limit - 1);

        Assert.Equal(HttpStatusCode.OK, (await _replicas.Next().LoginAsync(email)).StatusCode);

        Assert.Equal(0L, await _replicas.Database.ScalarAsync<long>(
            $"SELECT count(*) FROM failed_logins WHERE email_hash = decode('{Convert.ToHexStringLower(LoginThrottle.Hash(email))}', 'hex')"));
        await FailAsync(email, Limit - 1);
        Assert.Equal(HttpStatusCode.OK, (await _replicas.Next().LoginAsync(email)).StatusCode);
    }

    /// <summary>Wrong passwords for the email, one replica after another, each answered 401.</summary>
    private async Task FailAsync(string email, int count)
    {
        for (var failure = 0; failure < count; failure++)
        {
            await (await _replicas.Next().LoginAsync(email, "not the password")).AssertProblemAsync(HttpStatusCode.Unauthorized);
        }
    }

    private static async Task AssertThrottledAsync(HttpResponseMessage response)
    {
        await response.AssertProblemAsync(HttpStatusCode.TooManyRequests);
        var retryAfter = response.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value.TotalSeconds, 1, WindowSeconds);
    }

    /// <summary>The headers a client could tell the answers apart by: all but the date and the seconds left.</summary>
    private static string HeadersThatMatter(HttpResponseMessage response) => string.Join(";", response.Headers.Concat(response.Content.Headers)
        .Where(header => header.Key is not ("Date" or "Retry-After"))
        .OrderBy(header => header.Key, StringComparer.Ordinal)
        .Select(header => $"{header.Key}={string.Join(",", header.Value)}"));

    /// <summary>The body, without a trace id should one ever be added.</summary>
    private static async Task<string> BodyAsync(HttpResponseMessage response)
    {
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        body.Remove("traceId");
        return body.ToJsonString();
    }
}
