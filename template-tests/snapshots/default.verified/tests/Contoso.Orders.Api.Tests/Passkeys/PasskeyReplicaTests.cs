using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Contoso.Orders.Api.Tests.Infrastructure;
using static Contoso.Orders.Api.Tests.Passkeys.PasskeyAccount;

namespace Contoso.Orders.Api.Tests.Passkeys;

/// <summary>
/// "Several replicas": a passkey flow begun on one replica is finished on another (the options and their challenge
/// are in PostgreSQL, not in a replica's memory), and once finished it is spent on every replica.
/// </summary>
[Collection(ReplicaCollection.Name)]
public sealed class PasskeyReplicaTests(ReplicaCollection.Shared shared)
{
    private readonly ApiReplicas _replicas = shared.Replicas;

    [Fact]
    public async Task A_registration_and_a_sign_in_begun_on_one_replica_finish_on_another_once()
    {
        var token = await _replicas[0].AccessTokenForNewUserAsync();
        using var authenticator = NewAuthenticator();

        var registration = await _replicas[0].RegistrationOptionsAsync(token);
        var answer = authenticator.Create(registration.Options);
        Assert.Equal(HttpStatusCode.Created, (await _replicas[1].AddPasskeyAsync(token, registration.FlowId, answer)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _replicas[0].AddPasskeyAsync(token, registration.FlowId, answer)).StatusCode);

        var signIn = await _replicas[1].SignInOptionsAsync();
        var assertion = authenticator.Get(signIn.Options);
        var signedIn = await _replicas[0].PasskeySignInAsync(signIn.FlowId, assertion);
        Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode);
        for (var replica = 0; replica < _replicas.Count; replica++)
        {
            await (await _replicas[replica].PasskeySignInAsync(signIn.FlowId, assertion)).AssertProblemAsync(HttpStatusCode.Unauthorized);
        }

        var access = (await signedIn.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString()!;
        Assert.Equal(HttpStatusCode.OK, (await _replicas[1].GetMeAsync(access)).StatusCode);
    }
}
