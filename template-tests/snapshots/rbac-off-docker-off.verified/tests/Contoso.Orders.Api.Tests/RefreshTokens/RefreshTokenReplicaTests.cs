using System.Diagnostics;
using System.Net;
using Contoso.Orders.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Contoso.Orders.Api.Tests.RefreshTokens;

/// <summary>"Several replicas": logging out everywhere on one replica ends the access tokens on every replica within a second.</summary>
[Collection(ReplicaCollection.Name)]
public sealed class RefreshTokenReplicaTests(ReplicaCollection.Shared shared, ITestOutputHelper output)
{
    private readonly ApiReplicas _replicas = shared.Replicas;

    [Fact]
    public async Task Logout_all_on_one_replica_is_refused_on_every_other_within_a_second()
    {
        var token = await _replicas[0].AccessTokenForNewUserAsync();
        await _replicas.WarmAsync(token);

        var loggedOut = await _replicas[0].SendAsync(new HttpRequestMessage(HttpMethod.Post, "/api/v1/auth/logout-all").WithBearer(token));
        var since = Stopwatch.StartNew();

        Assert.Equal(HttpStatusCode.NoContent, loggedOut.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _replicas[0].GetMeAsync(token)).StatusCode);
        await Revocation.AssertRefusedWithinBoundAsync(_replicas.Others(0), token, since, output, "logout-all");
    }
}
