using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AuthTemplate.Api.Tests.Infrastructure;

namespace AuthTemplate.Api.Tests.TwoFactor;

/// <summary>
/// "Several replicas": a login's second step may reach any replica, the secret one replica encrypted is read by the
/// others (Data Protection's keys are in PostgreSQL), and wrong codes count once for all replicas. The shared replicas
/// run with the default throttle (5 failures in 15 minutes) and the production cost.
/// </summary>
[Collection(ReplicaCollection.Name)]
public sealed class TwoFactorReplicaTests(ReplicaCollection.Shared shared)
{
    private readonly ApiReplicas _replicas = shared.Replicas;

    [Fact]
    public async Task A_login_begun_on_one_replica_completes_on_another_and_its_token_is_spent_on_all()
    {
        var user = await _replicas[0].NewUserWithTwoFactorAsync(DateTimeOffset.UtcNow);
        var mfaToken = await _replicas[1].StartLoginAsync(user.Email);

        var completed = await _replicas[0].SecondStepAsync(mfaToken, user.CodeAfter(1));

        Assert.Equal(HttpStatusCode.OK, completed.StatusCode);
        var access = (await completed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString()!;
        Assert.Equal(HttpStatusCode.OK, (await _replicas[0].GetMeAsync(access)).StatusCode);
        for (var replica = 0; replica < _replicas.Count; replica++)
        {
            await (await _replicas[replica].SecondStepAsync(mfaToken, user.RecoveryCodes[replica])).AssertProblemAsync(HttpStatusCode.Unauthorized);
        }

        // Each replica reads the secret another encrypted: a recovery-code login on one, then a code check on each.
        Assert.Equal(HttpStatusCode.OK, (await _replicas[1].SecondStepAsync(await _replicas[1].StartLoginAsync(user.Email), user.RecoveryCodes[5])).StatusCode);
    }

    [Fact]
    public async Task Wrong_codes_spread_over_the_replicas_throttle_the_account_on_every_replica()
    {
        var user = await _replicas[0].NewUserWithTwoFactorAsync(DateTimeOffset.UtcNow);
        var mfaToken = await _replicas[0].StartLoginAsync(user.Email);
        for (var attempt = 0; attempt < 5; attempt++)
        {
            await (await _replicas[attempt % _replicas.Count].SecondStepAsync(mfaToken, "2222-3333-4444")).AssertProblemAsync(HttpStatusCode.Unauthorized);
        }

        var next = await _replicas[1].StartLoginAsync(user.Email);
        for (var replica = 0; replica < _replicas.Count; replica++)
        {
            var refused = await _replicas[replica].SecondStepAsync(next, user.CodeAfter(1));
            await refused.AssertProblemAsync(HttpStatusCode.TooManyRequests);
            Assert.InRange(refused.Headers.RetryAfter!.Delta!.Value, TimeSpan.FromMinutes(14), TimeSpan.FromMinutes(15));
        }
    }
}
