using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AuthTemplate.Api.Tests.Infrastructure;
using AuthTemplate.Api.Tests.TwoFactor;
using Microsoft.IdentityModel.JsonWebTokens;
using Xunit.Abstractions;

namespace AuthTemplate.Api.Tests.Admin;

/// <summary>"Several replicas": an admin's change on one replica takes effect on every replica within a second.</summary>
[Collection(ReplicaCollection.Name)]
public sealed class AdminReplicaTests(ReplicaCollection.Shared shared, ITestOutputHelper output) : IAsyncLifetime
{
    private readonly ApiReplicas _replicas = shared.Replicas;
    private string _adminToken = null!;

    public async Task InitializeAsync()
    {
        var (email, _) = await _replicas[0].RegisterAndLoginAsync();
        await _replicas.Database.ExecuteAsync($"UPDATE users SET role = 'admin' WHERE normalized_email = '{email}'");
        _adminToken = await AccessTokenAsync(_replicas[0], email);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_deactivation_on_one_replica_is_refused_on_every_other_within_a_second()
    {
        var token = await _replicas[0].AccessTokenForNewUserAsync();
        await _replicas.WarmAsync(token);

        var deactivated = await SendAsync(_replicas[0], HttpMethod.Put, $"/api/v1/admin/users/{UserIdOf(token)}/status", new { isActive = false });
        var since = Stopwatch.StartNew();

        Assert.Equal(HttpStatusCode.OK, deactivated.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _replicas[0].GetMeAsync(token)).StatusCode);
        await Revocation.AssertRefusedWithinBoundAsync(_replicas.Others(0), token, since, output, "deactivation");
    }

    [Fact]
    public async Task A_two_factor_reset_on_one_replica_refuses_the_users_tokens_on_every_other_within_a_second()
    {
        var user = await _replicas[0].NewUserWithTwoFactorAsync(DateTimeOffset.UtcNow);
        var token = (await _replicas[1].LoginWithCodeAsync(user.Email, user.RecoveryCodes[0])).GetProperty("accessToken").GetString()!;
        await _replicas.WarmAsync(token);

        var reset = await _replicas[0].SendAsync(new HttpRequestMessage(HttpMethod.Delete, $"/api/v1/admin/users/{UserIdOf(token)}/two-factor").WithBearer(_adminToken));
        var since = Stopwatch.StartNew();

        Assert.Equal(HttpStatusCode.NoContent, reset.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _replicas[0].GetMeAsync(token)).StatusCode);
        await Revocation.AssertRefusedWithinBoundAsync(_replicas.Others(0), token, since, output, "two-factor reset");
        Assert.Equal(HttpStatusCode.OK, (await _replicas[1].LoginAsync(user.Email)).StatusCode);
    }

    [Fact]
    public async Task A_role_change_shows_on_every_replica_within_a_second_and_in_the_next_access_token_from_any()
    {
        var (email, tokens) = await _replicas[0].RegisterAndLoginAsync();
        var token = tokens.GetProperty("accessToken").GetString()!;
        await _replicas.WarmAsync(token);

        var promoted = await SendAsync(_replicas[0], HttpMethod.Put, $"/api/v1/admin/users/{UserIdOf(token)}/role", new { role = "admin" });
        var since = Stopwatch.StartNew();

        Assert.Equal(HttpStatusCode.OK, promoted.StatusCode);
        var times = await Task.WhenAll(Enumerable.Range(0, _replicas.Count).Select(i => FirstRoleAsync(_replicas[i], token, "admin", since)));
        output.WriteLine($"role change: shown by GET /users/me after {string.Join(", ", times.Select(Revocation.Milliseconds))}");
        Assert.All(times, time => Assert.True(time <= Revocation.Bound, $"A replica showed the old role for {Revocation.Milliseconds(time)}."));
        for (var i = 0; i < _replicas.Count; i++)
        {
            Assert.Equal("admin", new JsonWebToken(await AccessTokenAsync(_replicas[i], email)).GetPayloadValue<string>("role"));
        }
    }

    private static async Task<TimeSpan> FirstRoleAsync(HttpClient client, string token, string role, Stopwatch since)
    {
        while (true)
        {
            var me = await client.GetMeAsync(token);
            Assert.Equal(HttpStatusCode.OK, me.StatusCode);
            if ((await me.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("role").GetString() == role)
            {
                return since.Elapsed;
            }

            Assert.True(since.Elapsed < TimeSpan.FromSeconds(10), "The role never changed.");
            await Task.Delay(20);
        }
    }

    private Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string path, object body) =>
        client.SendAsync(new HttpRequestMessage(method, path) { Content = JsonContent.Create(body) }.WithBearer(_adminToken));

    private static async Task<string> AccessTokenAsync(HttpClient client, string email)
    {
        var login = await client.LoginAsync(email);
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        return (await login.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString()!;
    }

    private static Guid UserIdOf(string token) => Guid.Parse(new JsonWebToken(token).Subject);
}
