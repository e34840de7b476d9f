using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Contoso.Orders.Api.Tests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Contoso.Orders.Api.Tests.RefreshTokens;

/// <summary>"Sessions and the account": each login is a session the user can see and end; security checklist point 35.</summary>
[Collection(ApiCollection.Name)]
public sealed class SessionTests(ApiFactory api)
{
    private const string Sessions = "/api/v1/users/me/sessions";

    private readonly HttpClient _client = api.CreateClient();

    [Fact]
    public async Task Each_login_is_a_session_listed_with_its_client_and_times_and_the_callers_marked_current()
    {
        var email = ApiClient.NewEmail();
        await _client.RegisterConfirmedAsync(email);
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        var phone = await LoginAsync(email, "Phone/1.0");
        var laptop = await LoginAsync(email, "Laptop/2.0");

        var fromPhone = await ListAsync(phone.Access);
        var fromLaptop = await ListAsync(laptop.Access);

        Assert.Equal(2, fromPhone.Count);
        Assert.Equal([phone.Session], fromPhone.Where(session => session.GetProperty("current").GetBoolean()).Select(Id));
        Assert.Equal([laptop.Session], fromLaptop.Where(session => session.GetProperty("current").GetBoolean()).Select(Id));
        var phoneSession = fromPhone.Single(session => Id(session) == phone.Session);
        Assert.Equal("Phone/1.0", phoneSession.GetProperty("userAgent").GetString());
        // The test server has no client address; the replica tests, over TCP, show it.
        Assert.True(phoneSession.TryGetProperty("ipAddress", out _));
        var createdAt = phoneSession.GetProperty("createdAt").GetDateTimeOffset();
        Assert.InRange(createdAt, before, DateTimeOffset.UtcNow.AddSeconds(1));
        Assert.Equal(createdAt, phoneSession.GetProperty("lastUsedAt").GetDateTimeOffset());
        Assert.Equal(createdAt.AddDays(14), phoneSession.GetProperty("expiresAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task Access_tokens_name_their_session_and_how_it_began_and_a_refresh_keeps_both_and_moves_last_use()
    {
        var email = ApiClient.NewEmail();
        await _client.RegisterConfirmedAsync(email);
        var login = await LoginAsync(email, "Phone/1.0");

        var refreshed = await RefreshAsync(login.Refresh, "Phone/1.1");

        foreach (var access in new[] { login.Access, refreshed.Access })
        {
            var token = new JsonWebToken(access);
            Assert.Equal(login.Session.ToString(), token.GetPayloadValue<string>("sid"));
            Assert.Equal(["pwd"], token.GetPayloadValue<string[]>("amr"));
        }

        var session = Assert.Single(await ListAsync(refreshed.Access));
        Assert.Equal(login.Session, Id(session));
        Assert.Equal("Phone/1.1", session.GetProperty("userAgent").GetString());
        Assert.True(session.GetProperty("lastUsedAt").GetDateTimeOffset() >= session.GetProperty("createdAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task Ending_another_session_refuses_its_refresh_and_access_tokens_and_keeps_the_callers()
    {
        var email = ApiClient.NewEmail();
        await _client.RegisterConfirmedAsync(email);
        var kept = await LoginAsync(email, "Kept/1.0");
        var ended = await LoginAsync(email, "Lost/1.0");
        Assert.Equal(HttpStatusCode.OK, (await _client.GetMeAsync(ended.Access)).StatusCode);

        var response = await EndAsync(kept.Access, ended.Session);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _client.GetMeAsync(ended.Access)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await RefreshResponseAsync(ended.Refresh)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _client.GetMeAsync(kept.Access)).StatusCode);
        Assert.Equal([kept.Session], (await ListAsync(kept.Access)).Select(Id));
        Assert.Equal(HttpStatusCode.OK, (await RefreshResponseAsync(kept.Refresh)).StatusCode);
        await (await EndAsync(kept.Access, ended.Session)).AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Another_users_session_and_an_unknown_id_are_both_not_found_and_stay_untouched()
    {
        var mine = await LoginAsync(await NewConfirmedAsync(), "Mine/1.0");
        var theirs = await LoginAsync(await NewConfirmedAsync(), "Theirs/1.0");

        var other = await EndAsync(mine.Access, theirs.Session);
        var unknown = await EndAsync(mine.Access, Guid.NewGuid());

        var otherProblem = await other.AssertProblemAsync(HttpStatusCode.NotFound);
        var unknownProblem = await unknown.AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal(unknownProblem.GetProperty("title").GetString(), otherProblem.GetProperty("title").GetString());
        Assert.Equal(HttpStatusCode.OK, (await _client.GetMeAsync(theirs.Access)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await RefreshResponseAsync(theirs.Refresh)).StatusCode);
    }

    [Fact]
    public async Task Logout_ends_its_sessions_access_tokens_too_and_no_other_session()
    {
        var email = await NewConfirmedAsync();
        var leaving = await LoginAsync(email, "Leaving/1.0");
        var staying = await LoginAsync(email, "Staying/1.0");

        var logout = await _client.PostAsJsonAsync("/api/v1/auth/logout", new { refreshToken = leaving.Refresh });

        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _client.GetMeAsync(leaving.Access)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _client.GetMeAsync(staying.Access)).StatusCode);
    }

    private sealed record Login(string Access, string Refresh, Guid Session);

    private async Task<string> NewConfirmedAsync()
    {
        var email = ApiClient.NewEmail();
        await _client.RegisterConfirmedAsync(email);
        return email;
    }

    private async Task<Login> LoginAsync(string email, string userAgent)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/auth/login") { Content = JsonContent.Create(new { email, password = ApiClient.Password }) };
        request.Headers.UserAgent.ParseAdd(userAgent);
        return await ReadLoginAsync(await _client.SendAsync(request));
    }

    private async Task<Login> RefreshAsync(string refreshToken, string userAgent)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/auth/refresh") { Content = JsonContent.Create(new { refreshToken }) };
        request.Headers.UserAgent.ParseAdd(userAgent);
        return await ReadLoginAsync(await _client.SendAsync(request));
    }

    private Task<HttpResponseMessage> RefreshResponseAsync(string refreshToken) =>
        _client.PostAsJsonAsync("/api/v1/auth/refresh", new { refreshToken });

    private static async Task<Login> ReadLoginAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var tokens = await response.Content.ReadFromJsonAsync<JsonElement>();
        var access = tokens.GetProperty("accessToken").GetString()!;
        return new Login(access, tokens.GetProperty("refreshToken").GetString()!, Guid.Parse(new JsonWebToken(access).GetPayloadValue<string>("sid")));
    }

    private async Task<List<JsonElement>> ListAsync(string accessToken)
    {
        var response = await _client.SendAsync(new HttpRequestMessage(HttpMethod.Get, Sessions).WithBearer(accessToken));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray().ToList();
    }

    private Task<HttpResponseMessage> EndAsync(string accessToken, Guid session) =>
        _client.SendAsync(new HttpRequestMessage(HttpMethod.Delete, $"{Sessions}/{session}").WithBearer(accessToken));

    private static Guid Id(JsonElement session) => session.GetProperty("id").GetGuid();
}
