using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Contoso.Auth_Api.Api.Tests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;
using Xunit.Abstractions;

namespace Contoso.Auth_Api.Api.Tests.RefreshTokens;

/// <summary>
/// "Several replicas": logging out everywhere, or ending one session, on one replica ends the access tokens concerned
/// on every replica within a second.
/// </summary>
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

    [Fact]
    public async Task Ending_a_session_on_one_replica_is_refused_on_every_other_within_a_second_and_the_other_session_is_not()
    {
        var (email, first) = await _replicas[0].RegisterAndLoginAsync();
        var kept = first.GetProperty("accessToken").GetString()!;
        var login = await _replicas[1].LoginAsync(email);
        var ended = (await login.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString()!;
        await _replicas.WarmAsync(kept);
        await _replicas.WarmAsync(ended);
        var sessions = await _replicas[0].SendAsync(new HttpRequestMessage(HttpMethod.Get, "/api/v1/users/me/sessions").WithBearer(kept));
        var listed = (await sessions.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray().ToList();
        // Over TCP, each session shows the client's address.
        Assert.All(listed, session => Assert.Equal("127.0.0.1", session.GetProperty("ipAddress").GetString()));

        var response = await _replicas[0].SendAsync(
            new HttpRequestMessage(HttpMethod.Delete, $"/api/v1/users/me/sessions/{new JsonWebToken(ended).GetPayloadValue<string>("sid")}").WithBearer(kept));
        var since = Stopwatch.StartNew();

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _replicas[0].GetMeAsync(ended)).StatusCode);
        await Revocation.AssertRefusedWithinBoundAsync(_replicas.Others(0), ended, since, output, "session ended");
        for (var i = 0; i < _replicas.Count; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await _replicas[i].GetMeAsync(kept)).StatusCode);
        }
    }
}
