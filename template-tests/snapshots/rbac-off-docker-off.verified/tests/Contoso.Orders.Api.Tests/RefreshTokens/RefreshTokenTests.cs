using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Contoso.Orders.Api.RefreshTokens;
using Contoso.Orders.Api.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Contoso.Orders.Api.Tests.RefreshTokens;

/// <summary>The refresh-token contract and security checklist points 6 to 10.</summary>
[Collection(ApiCollection.Name)]
public sealed class RefreshTokenTests(ApiFactory api)
{
    private readonly HttpClient _client = api.CreateClient();

    [Fact]
    public async Task Login_returns_an_access_token_and_an_opaque_256_bit_refresh_token()
    {
        var (_, tokens) = await _client.RegisterAndLoginAsync();

        var refreshToken = tokens.GetProperty("refreshToken").GetString()!;
        Assert.Equal(32, Microsoft.IdentityModel.Tokens.Base64UrlEncoder.DecodeBytes(refreshToken).Length);
        Assert.DoesNotContain('.', refreshToken);
        Assert.Equal(14 * 24 * 60 * 60, tokens.GetProperty("refreshTokenExpiresIn").GetInt32());
    }

    [Fact]
    public async Task The_refresh_token_is_stored_only_as_its_sha256_hash()
    {
        var (_, tokens) = await _client.RegisterAndLoginAsync();
        var refreshToken = tokens.GetProperty("refreshToken").GetString()!;
        var hashHex = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(refreshToken)));

        Assert.Equal(1L, await api.Database.ScalarAsync<long>($"SELECT count(*) FROM refresh_tokens WHERE token_hash = decode('{hashHex}', 'hex')"));
        // The only text is what the session list shows, and no row holds the token in any of it.
        Assert.Equal("authentication_methods,client_address,user_agent", await api.Database.ScalarAsync<string>(
            "SELECT string_agg(column_name, ',' ORDER BY column_name) FROM information_schema.columns WHERE table_name = 'refresh_tokens' AND data_type IN ('text', 'character varying')"));
        Assert.Equal(0L, await api.Database.ScalarAsync<long>(
            $"SELECT count(*) FROM refresh_tokens WHERE strpos(concat(authentication_methods, client_address, user_agent), '{refreshToken}') > 0"));
    }

    [Fact]
    public async Task Refresh_answers_a_new_pair_and_spends_the_token_sent()
    {
        var (_, tokens) = await _client.RegisterAndLoginAsync();
        var first = tokens.GetProperty("refreshToken").GetString()!;

        var response = await RefreshAsync(first);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        var rotated = await response.Content.ReadFromJsonAsync<JsonElement>();
        var second = rotated.GetProperty("refreshToken").GetString()!;
        Assert.NotEqual(first, second);
        Assert.Equal(HttpStatusCode.OK, (await _client.GetMeAsync(rotated.GetProperty("accessToken").GetString()!)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await RefreshAsync(second)).StatusCode);
    }

    [Fact]
    public async Task Presenting_a_spent_token_revokes_its_whole_family_and_no_other()
    {
        var (email, tokens) = await _client.RegisterAndLoginAsync();
        var spent = tokens.GetProperty("refreshToken").GetString()!;
        var newest = await RefreshedTokenAsync(spent);
        var otherLogin = (await (await _client.LoginAsync(email)).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("refreshToken").GetString()!;

        var replay = await RefreshAsync(spent);

        await replay.AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.Unauthorized, (await RefreshAsync(newest)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await RefreshAsync(otherLogin)).StatusCode);
    }

    [Fact]
    public async Task Concurrent_refreshes_of_one_token_give_exactly_one_200()
    {
        var (_, tokens) = await _client.RegisterAndLoginAsync();
        var refreshToken = tokens.GetProperty("refreshToken").GetString()!;

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => RefreshAsync(refreshToken)));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.OK);
        Assert.All(responses.Where(r => r.StatusCode != HttpStatusCode.OK), r => Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode));
    }

    [Fact]
    public async Task Unknown_expired_revoked_and_spent_tokens_get_the_same_401()
    {
        var (_, expiredLogin) = await _client.RegisterAndLoginAsync();
        var expired = expiredLogin.GetProperty("refreshToken").GetString()!;
        await api.Database.ExecuteAsync(
            $"UPDATE refresh_tokens SET expires_at = now() - interval '1 minute' WHERE token_hash = decode('{HashHex(expired)}', 'hex')");
        var (_, revokedLogin) = await _client.RegisterAndLoginAsync();
        var revoked = revokedLogin.GetProperty("refreshToken").GetString()!;
        Assert.Equal(HttpStatusCode.NoContent, (await LogoutAsync(revoked)).StatusCode);
        var (_, spentLogin) = await _client.RegisterAndLoginAsync();
        var spent = spentLogin.GetProperty("refreshToken").GetString()!;
        await RefreshedTokenAsync(spent);

        var responses = new[]
        {
            await RefreshAsync(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32))),
            await RefreshAsync(expired),
            await RefreshAsync(revoked),
            await RefreshAsync(spent),
        };

        foreach (var response in responses)
        {
            await response.AssertProblemAsync(HttpStatusCode.Unauthorized);
        }

        Assert.Single((await Task.WhenAll(responses.Select(r => r.Content.ReadAsStringAsync()))).Distinct());
    }

    [Fact]
    public async Task Rotation_never_takes_a_family_past_its_absolute_lifetime()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var app = api.WithWebHostBuilder(builder =>
            builder.ConfigureServices(services => services.AddSingleton<TimeProvider>(clock)));
        using var client = app.CreateClient();
        var (_, login) = await client.RegisterAndLoginAsync();
        var token = login.GetProperty("refreshToken").GetString()!;
        var day = TimeSpan.FromDays(1).TotalSeconds;

        // Defaults: each token lives 14 days, the family 30. Refreshing every few days keeps the full 14 days until the
        // family's end is nearer, then counts down to it.
        foreach (var (advanceDays, expectedDays) in new[] { (10, 14), (10, 10), (9, 1) })
        {
            clock.Advance(TimeSpan.FromDays(advanceDays));
            var response = await client.PostAsJsonAsync("/api/v1/auth/refresh", new { refreshToken = token });
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var rotated = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(expectedDays * day, rotated.GetProperty("refreshTokenExpiresIn").GetInt32());
            token = rotated.GetProperty("refreshToken").GetString()!;
        }

        clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromSeconds(1));
        var afterTheFamily = await client.PostAsJsonAsync("/api/v1/auth/refresh", new { refreshToken = token });
        var unknown = await client.PostAsJsonAsync("/api/v1/auth/refresh",
            new { refreshToken = Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32)) });

        await afterTheFamily.AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal(await unknown.Content.ReadAsStringAsync(), await afterTheFamily.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("/api/v1/auth/refresh")]
    [InlineData("/api/v1/auth/logout")]
    public async Task A_missing_or_empty_refresh_token_answers_400(string path)
    {
        await (await _client.PostAsJsonAsync(path, new { })).AssertProblemAsync(HttpStatusCode.BadRequest);
        await (await _client.PostAsJsonAsync(path, new { refreshToken = "" })).AssertProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Logout_revokes_the_family_and_is_idempotent_also_for_unknown_tokens()
    {
        var (_, tokens) = await _client.RegisterAndLoginAsync();
        var first = tokens.GetProperty("refreshToken").GetString()!;
        var newest = await RefreshedTokenAsync(first);

        Assert.Equal(HttpStatusCode.NoContent, (await LogoutAsync(first)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await LogoutAsync(first)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await LogoutAsync("never-issued")).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await RefreshAsync(newest)).StatusCode);
    }

    [Fact]
    public async Task Logout_all_revokes_every_family_of_the_user()
    {
        var (email, tokens) = await _client.RegisterAndLoginAsync();
        var first = tokens.GetProperty("refreshToken").GetString()!;
        var second = (await (await _client.LoginAsync(email)).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("refreshToken").GetString()!;
        var accessToken = tokens.GetProperty("accessToken").GetString()!;

        var response = await _client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/api/v1/auth/logout-all").WithBearer(accessToken));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await RefreshAsync(first)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await RefreshAsync(second)).StatusCode);
    }

    [Fact]
    public async Task Logout_all_answers_401_without_a_token()
    {
        await (await _client.PostAsync("/api/v1/auth/logout-all", null)).AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Resetting_the_password_revokes_every_family_of_the_user()
    {
        var (email, first) = await _client.RegisterAndLoginAsync();
        var second = await (await _client.LoginAsync(email)).Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.Accepted, (await _client.ForgotPasswordAsync(email)).StatusCode);
        var token = await api.TokenFromNextLinkToAsync(email, AccountFlows.ResetPage);
        Assert.Equal(HttpStatusCode.NoContent, (await _client.ResetPasswordAsync(token, "another good passphrase")).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await RefreshAsync(first.GetProperty("refreshToken").GetString()!)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await RefreshAsync(second.GetProperty("refreshToken").GetString()!)).StatusCode);
    }

    [Fact]
    public async Task Changing_the_password_revokes_every_family_of_the_user()
    {
        var (_, tokens) = await _client.RegisterAndLoginAsync();

        var changed = await _client.ChangePasswordAsync(tokens.GetProperty("accessToken").GetString()!, ApiClient.Password, "another good passphrase");

        Assert.Equal(HttpStatusCode.NoContent, changed.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await RefreshAsync(tokens.GetProperty("refreshToken").GetString()!)).StatusCode);
    }

    [Fact]
    public async Task A_deactivated_user_cannot_refresh()
    {
        var (email, tokens) = await _client.RegisterAndLoginAsync();
        await api.Database.ExecuteAsync($"UPDATE users SET is_active = false WHERE normalized_email = '{email}'");

        await (await RefreshAsync(tokens.GetProperty("refreshToken").GetString()!)).AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Refresh_is_rate_limited()
    {
        await using var app = api.WithSettings(new Dictionary<string, string?> { ["RateLimiting:PermitLimit"] = "1" });
        using var client = app.CreateClient();

        await client.PostAsJsonAsync("/api/v1/auth/refresh", new { refreshToken = "unknown" });
        var limited = await client.PostAsJsonAsync("/api/v1/auth/refresh", new { refreshToken = "unknown" });

        await limited.AssertProblemAsync(HttpStatusCode.TooManyRequests);
    }

    [Fact]
    public async Task Pruning_deletes_only_rows_expired_or_revoked_longer_ago_than_the_retention()
    {
        var (_, oldExpired) = await _client.RegisterAndLoginAsync();
        var (_, oldRevoked) = await _client.RegisterAndLoginAsync();
        var (_, recentlyRevoked) = await _client.RegisterAndLoginAsync();
        var (_, live) = await _client.RegisterAndLoginAsync();
        await SetAsync(oldExpired, "expires_at = now() - interval '8 days'");
        await SetAsync(oldRevoked, "revoked_at = now() - interval '8 days'");
        await SetAsync(recentlyRevoked, "revoked_at = now() - interval '1 day'");

        await using var scope = api.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<RefreshTokenStore>().PruneAsync(CancellationToken.None);

        Assert.False(await ExistsAsync(oldExpired));
        Assert.False(await ExistsAsync(oldRevoked));
        Assert.True(await ExistsAsync(recentlyRevoked));
        Assert.True(await ExistsAsync(live));
    }

    [Fact]
    public async Task The_cleanup_service_prunes_on_its_configured_interval()
    {
        var (_, tokens) = await _client.RegisterAndLoginAsync();
        await SetAsync(tokens, "expires_at = now() - interval '30 days'");

        await using var app = api.WithSettings(new Dictionary<string, string?> { ["RefreshTokens:CleanupInterval"] = "00:00:01" });
        _ = app.Server;
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (await ExistsAsync(tokens) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250);
        }

        Assert.False(await ExistsAsync(tokens));
    }

    private Task<HttpResponseMessage> RefreshAsync(string refreshToken) =>
        _client.PostAsJsonAsync("/api/v1/auth/refresh", new { refreshToken });

    private Task<HttpResponseMessage> LogoutAsync(string refreshToken) =>
        _client.PostAsJsonAsync("/api/v1/auth/logout", new { refreshToken });

    private async Task<string> RefreshedTokenAsync(string refreshToken)
    {
        var response = await RefreshAsync(refreshToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("refreshToken").GetString()!;
    }

    private static string HashHex(string refreshToken) => Convert.ToHexStringLower(RefreshTokenStore.Hash(refreshToken));

    private Task SetAsync(JsonElement tokens, string assignment) => api.Database.ExecuteAsync(
        $"UPDATE refresh_tokens SET {assignment} WHERE token_hash = decode('{HashHex(tokens.GetProperty("refreshToken").GetString()!)}', 'hex')");

    private async Task<bool> ExistsAsync(JsonElement tokens) => await api.Database.ScalarAsync<long>(
        $"SELECT count(*) FROM refresh_tokens WHERE token_hash = decode('{HashHex(tokens.GetProperty("refreshToken").GetString()!)}', 'hex')") > 0;
}
