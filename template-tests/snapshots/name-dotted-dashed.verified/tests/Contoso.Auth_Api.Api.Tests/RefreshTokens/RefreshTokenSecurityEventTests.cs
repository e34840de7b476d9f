using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Contoso.Auth_Api.Api.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Contoso.Auth_Api.Api.Tests.RefreshTokens;

/// <summary>The security events of refresh tokens: a family started, revoked, and a spent token replayed.</summary>
[Collection(ApiCollection.Name)]
public sealed class RefreshTokenSecurityEventTests(ApiFactory api)
{
    [Fact]
    public async Task A_login_logs_authn_token_created_naming_the_family_not_the_token()
    {
        await using var app = new SecurityEventApp(api);
        var (userId, tokens) = await LoginAsync(app.Client);

        var record = app.Single(9010, "authn_token_created", LogLevel.Information);
        Assert.Equal(userId.ToString(), record.GetStructuredStateValue("UserId"));
        Assert.Equal(await FamilyOfAsync(userId), record.GetStructuredStateValue("FamilyId"));
        app.AssertNoEventCarries([.. SecurityEventTests.TokensIn(tokens)]);
    }

    [Fact]
    public async Task A_logout_logs_authn_token_revoked()
    {
        await using var app = new SecurityEventApp(api);
        var (userId, tokens) = await LoginAsync(app.Client);
        var refreshToken = tokens.GetProperty("refreshToken").GetString()!;

        Assert.Equal(HttpStatusCode.NoContent, (await app.Client.PostAsJsonAsync("/api/v1/auth/logout", new { refreshToken })).StatusCode);

        var record = app.Single(9011, "authn_token_revoked", LogLevel.Information);
        Assert.Equal(userId.ToString(), record.GetStructuredStateValue("UserId"));
        Assert.Equal(await FamilyOfAsync(userId), record.GetStructuredStateValue("FamilyId"));
        Assert.Equal("logout", record.GetStructuredStateValue("Reason"));
        Assert.Equal("1", record.GetStructuredStateValue("TokenCount"));
        app.AssertNoEventCarries([.. SecurityEventTests.TokensIn(tokens)]);
    }

    [Fact]
    public async Task Ending_a_session_logs_authn_token_revoked_naming_it()
    {
        await using var app = new SecurityEventApp(api);
        var (userId, tokens) = await LoginAsync(app.Client);
        var access = tokens.GetProperty("accessToken").GetString()!;
        var family = await FamilyOfAsync(userId);

        var ended = await app.Client.SendAsync(new HttpRequestMessage(HttpMethod.Delete, $"/api/v1/users/me/sessions/{family}").WithBearer(access));

        Assert.Equal(HttpStatusCode.NoContent, ended.StatusCode);
        var record = app.Single(9011, "authn_token_revoked", LogLevel.Information);
        Assert.Equal(userId.ToString(), record.GetStructuredStateValue("UserId"));
        Assert.Equal(family, record.GetStructuredStateValue("FamilyId"));
        Assert.Equal("session ended", record.GetStructuredStateValue("Reason"));
        app.AssertNoEventCarries([.. SecurityEventTests.TokensIn(tokens)]);
    }

    [Fact]
    public async Task Logging_out_everywhere_logs_one_authn_token_revoked_for_all_families()
    {
        await using var app = new SecurityEventApp(api);
        var (userId, tokens) = await LoginAsync(app.Client);
        var access = tokens.GetProperty("accessToken").GetString()!;

        Assert.Equal(HttpStatusCode.NoContent, (await app.Client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/api/v1/auth/logout-all").WithBearer(access))).StatusCode);

        var record = app.Single(9011, "authn_token_revoked", LogLevel.Information);
        Assert.Equal(userId.ToString(), record.GetStructuredStateValue("UserId"));
        Assert.Equal("1", record.GetStructuredStateValue("TokenCount"));
        Assert.Equal("every session ended", record.GetStructuredStateValue("Reason"));
        Assert.Null(record.GetStructuredStateValue("FamilyId"));
        app.AssertNoEventCarries([.. SecurityEventTests.TokensIn(tokens)]);
    }

    [Fact]
    public async Task A_replayed_refresh_token_logs_authn_token_reuse_once()
    {
        await using var app = new SecurityEventApp(api);
        var (userId, tokens) = await LoginAsync(app.Client);
        var spent = tokens.GetProperty("refreshToken").GetString()!;
        var rotated = await app.Client.PostAsJsonAsync("/api/v1/auth/refresh", new { refreshToken = spent });
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        var successor = await rotated.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Client.PostAsJsonAsync("/api/v1/auth/refresh", new { refreshToken = spent })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Client.PostAsJsonAsync("/api/v1/auth/refresh", new { refreshToken = spent })).StatusCode);

        var record = app.Single(9012, "authn_token_reuse", LogLevel.Critical);
        Assert.Equal(userId.ToString(), record.GetStructuredStateValue("UserId"));
        Assert.Equal(await FamilyOfAsync(userId), record.GetStructuredStateValue("FamilyId"));
        app.AssertNoEventCarries([.. SecurityEventTests.TokensIn(tokens), .. SecurityEventTests.TokensIn(successor)]);
    }

    private async Task<(Guid UserId, JsonElement Tokens)> LoginAsync(HttpClient client)
    {
        var email = ApiClient.NewEmail();
        var userId = await client.RegisterUserAsync(email);
        var login = await client.LoginAsync(email);
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        return (userId, await login.Content.ReadFromJsonAsync<JsonElement>());
    }

    private async Task<string> FamilyOfAsync(Guid userId) =>
        (await api.Database.ScalarAsync<Guid>($"SELECT DISTINCT family_id FROM refresh_tokens WHERE user_id = '{userId}'")).ToString();
}
