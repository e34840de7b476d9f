using System.Net;
using my_api.Api.Tests.Infrastructure;

namespace my_api.Api.Tests.Replicas;

/// <summary>"Several replicas": every replica is stateless, so a token one of them issues is good on every other.</summary>
[Collection(ReplicaCollection.Name)]
public sealed class ReplicaTokenTests(ReplicaCollection.Shared shared)
{
    private readonly ApiReplicas _replicas = shared.Replicas;

    [Fact]
    public async Task A_token_issued_by_one_replica_is_accepted_by_every_other()
    {
        var token = await _replicas[0].AccessTokenForNewUserAsync();

        foreach (var replica in _replicas.Others(0))
        {
            var me = await replica.GetMeAsync(token);
            Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        }
    }
}
