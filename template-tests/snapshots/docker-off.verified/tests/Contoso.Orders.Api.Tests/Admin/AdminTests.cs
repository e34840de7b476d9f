using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Contoso.Orders.Api.Admin;
using Contoso.Orders.Api.Tests.Infrastructure;
using Contoso.Orders.Api.Tests.TwoFactor;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Contoso.Orders.Api.Tests.Admin;

/// <summary>The RBAC contract: roles, the admin endpoints, the first admin, and security checklist point 18.</summary>
[Collection(ApiCollection.Name)]
public sealed class AdminTests(ApiFactory api)
{
    private readonly HttpClient _client = api.CreateClient();

    public static TheoryData<string, string> AdminEndpoints => new()
    {
        { "GET", "/api/v1/admin/users" },
        { "GET", "/api/v1/admin/users/{id}" },
        { "PUT", "/api/v1/admin/users/{id}/role" },
        { "PUT", "/api/v1/admin/users/{id}/status" },
        { "DELETE", "/api/v1/admin/users/{id}/two-factor" },
    };

    [Theory]
    [MemberData(nameof(AdminEndpoints))]
    public async Task An_admin_endpoint_answers_401_to_strangers_403_to_users_and_serves_admins(string method, string path)
    {
        var target = await RegisterAsync();
        var userToken = await _client.AccessTokenForNewUserAsync();
        var adminToken = await AdminTokenAsync();
        HttpRequestMessage Request(string? token)
        {
            var request = new HttpRequestMessage(new HttpMethod(method), path.Replace("{id}", target.ToString(), StringComparison.Ordinal));
            if (method == "PUT")
            {
                request.Content = JsonContent.Create(path.EndsWith("role", StringComparison.Ordinal) ? new { role = "user" } : (object)new { isActive = true });
            }

            return token is null ? request : request.WithBearer(token);
        }

        await (await _client.SendAsync(Request(null))).AssertProblemAsync(HttpStatusCode.Unauthorized);
        await (await _client.SendAsync(Request(userToken))).AssertProblemAsync(HttpStatusCode.Forbidden);
        Assert.Equal(method == "DELETE" ? HttpStatusCode.NoContent : HttpStatusCode.OK, (await _client.SendAsync(Request(adminToken))).StatusCode);
    }

    [Fact]
    public async Task An_admin_turns_off_a_users_two_factor_sign_in_the_users_sessions_end_and_the_user_is_told()
    {
        var user = await _client.NewUserWithTwoFactorAsync(DateTimeOffset.UtcNow);
        var userId = await api.Database.ScalarAsync<Guid>($"SELECT id FROM users WHERE normalized_email = '{user.Email}'");
        var adminToken = await AdminTokenAsync();

        var reset = await _client.SendAsync(new HttpRequestMessage(HttpMethod.Delete, $"/api/v1/admin/users/{userId}/two-factor").WithBearer(adminToken));

        Assert.Equal(HttpStatusCode.NoContent, reset.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _client.GetMeAsync(user.AccessToken)).StatusCode);
        Assert.False((await GetJsonAsync($"/api/v1/admin/users/{userId}", adminToken)).GetProperty("twoFactorEnabled").GetBoolean());
        Assert.Equal(HttpStatusCode.OK, (await _client.LoginAsync(user.Email)).StatusCode);
        await Patience.UntilAsync(
            () => api.Mail.MessagesTo(user.Email).Any(message => (message.Subject ?? "").Contains("Two-factor sign-in was reset", StringComparison.Ordinal)),
            "the notice of the reset");
        var unknown = await _client.SendAsync(new HttpRequestMessage(HttpMethod.Delete, $"/api/v1/admin/users/{Guid.NewGuid()}/two-factor").WithBearer(adminToken));
        await unknown.AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task The_access_token_carries_the_role_and_registration_gives_user()
    {
        var (_, tokens) = await _client.RegisterAndLoginAsync();
        var userToken = new JsonWebToken(tokens.GetProperty("accessToken").GetString());
        var adminToken = new JsonWebToken(await AdminTokenAsync());

        Assert.Equal("user", userToken.GetPayloadValue<string>("role"));
        Assert.Equal("admin", adminToken.GetPayloadValue<string>("role"));
        var me = await (await _client.GetMeAsync(tokens.GetProperty("accessToken").GetString()!)).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("user", me.GetProperty("role").GetString());
    }

    [Fact]
    public async Task The_first_admin_from_configuration_exists_at_start_up()
    {
        var login = await _client.LoginAsync(ApiFactory.AdminEmail, api.AdminPassword);

        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
    }

    [Fact]
    public async Task Listing_pages_users_oldest_first_with_the_total()
    {
        for (var i = 0; i < 3; i++)
        {
            await RegisterAsync();
        }

        var token = await AdminTokenAsync();
        var first = await GetJsonAsync("/api/v1/admin/users?page=1&pageSize=2", token);
        var second = await GetJsonAsync("/api/v1/admin/users?page=2&pageSize=2", token);

        Assert.Equal(1, first.GetProperty("page").GetInt32());
        Assert.Equal(2, first.GetProperty("pageSize").GetInt32());
        var total = first.GetProperty("total").GetInt32();
        Assert.True(total >= 4);
        var items = first.GetProperty("items").EnumerateArray().Concat(second.GetProperty("items").EnumerateArray()).ToList();
        Assert.Equal(4, items.Count);
        Assert.Equal(4, items.Select(item => item.GetProperty("id").GetString()).Distinct().Count());
        var created = items.Select(item => item.GetProperty("createdAt").GetDateTimeOffset()).ToList();
        Assert.Equal(created.Order(), created);
        Assert.Equal(20, (await GetJsonAsync("/api/v1/admin/users", token)).GetProperty("pageSize").GetInt32());
    }

    [Theory]
    [InlineData("page=0")]
    [InlineData("page=-1")]
    [InlineData("pageSize=0")]
    [InlineData("pageSize=101")]
    [InlineData("page=abc")]
    [InlineData("pageSize=99999999999")]
    public async Task Listing_answers_400_for_paging_out_of_range(string query)
    {
        var response = await _client.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/api/v1/admin/users?{query}").WithBearer(await AdminTokenAsync()));

        await response.AssertProblemAsync(HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("00000000-0000-0000-0000-000000000000")]
    [InlineData("not-a-uuid")]
    public async Task An_unknown_or_malformed_id_answers_a_404_problem(string id)
    {
        var token = await AdminTokenAsync();

        await (await _client.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/api/v1/admin/users/{id}").WithBearer(token)))
            .AssertProblemAsync(HttpStatusCode.NotFound);
        await (await SetRoleAsync(token, id, "admin")).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await SetStatusAsync(token, id, false)).AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("superuser")]
    [InlineData("Admin")]
    [InlineData("")]
    [InlineData(null)]
    public async Task Setting_an_unknown_role_answers_400(string? role)
    {
        var response = await SetRoleAsync(await AdminTokenAsync(), (await RegisterAsync()).ToString(), role);

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("role", out _));
    }

    [Fact]
    public async Task Setting_a_status_without_isActive_answers_400()
    {
        var response = await _client.SendAsync(new HttpRequestMessage(HttpMethod.Put, $"/api/v1/admin/users/{await RegisterAsync()}/status")
        {
            Content = JsonContent.Create(new { }),
        }.WithBearer(await AdminTokenAsync()));

        await response.AssertProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_role_change_takes_effect_in_the_next_access_token()
    {
        var (email, tokens) = await _client.RegisterAndLoginAsync();
        var oldToken = tokens.GetProperty("accessToken").GetString()!;
        var id = (await GetMeJsonAsync(oldToken)).GetProperty("id").GetString()!;

        var promoted = await SetRoleAsync(await AdminTokenAsync(), id, "admin");

        Assert.Equal("admin", (await promoted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("role").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, (await GetAsync("/api/v1/admin/users", oldToken)).StatusCode);
        var newToken = (await (await _client.LoginAsync(email)).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString()!;
        Assert.Equal(HttpStatusCode.OK, (await GetAsync("/api/v1/admin/users", newToken)).StatusCode);
    }

    [Fact]
    public async Task An_admin_cannot_change_its_own_role()
    {
        var token = await AdminTokenAsync();
        var me = (await GetMeJsonAsync(token)).GetProperty("id").GetString()!;

        await (await SetRoleAsync(token, me, "user")).AssertProblemAsync(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task A_deactivated_user_cannot_log_in_and_its_tokens_stop_working_until_reactivated()
    {
        var (email, tokens) = await _client.RegisterAndLoginAsync();
        var accessToken = tokens.GetProperty("accessToken").GetString()!;
        var id = (await GetMeJsonAsync(accessToken)).GetProperty("id").GetString()!;
        var adminToken = await AdminTokenAsync();
        var wrongPassword = await _client.LoginAsync(email, "not the password at all");

        var deactivated = await SetStatusAsync(adminToken, id, false);

        Assert.False((await deactivated.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("isActive").GetBoolean());
        var login = await _client.LoginAsync(email);
        await login.AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal(await wrongPassword.Content.ReadAsStringAsync(), await login.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, (await _client.GetMeAsync(accessToken)).StatusCode);
        var refresh = await _client.PostAsJsonAsync("/api/v1/auth/refresh", new { refreshToken = tokens.GetProperty("refreshToken").GetString() });
        await refresh.AssertProblemAsync(HttpStatusCode.Unauthorized);

        Assert.Equal(HttpStatusCode.OK, (await SetStatusAsync(adminToken, id, true)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _client.LoginAsync(email)).StatusCode);
    }

    [Fact]
    public async Task The_last_active_admin_can_be_neither_demoted_nor_deactivated()
    {
        await using var isolated = await IsolatedApi.StartAsync();
        using var client = isolated.Factory.CreateClient();
        var adminA = await LoginTokenAsync(client, ApiFactory.AdminEmail, isolated.Factory.AdminPassword);
        var idA = (await GetMeJsonAsync(client, adminA)).GetProperty("id").GetString()!;

        await (await SetStatusAsync(client, adminA, idA, false)).AssertProblemAsync(HttpStatusCode.Conflict);

        // A second admin demotes the first; the first, whose token still says admin, cannot demote the last one.
        var admins = await PromoteSecondAdminAsync(client, adminA, idA);
        Assert.Equal(HttpStatusCode.OK, (await SetRoleAsync(client, admins.TokenB, idA, "user")).StatusCode);

        await (await SetRoleAsync(client, adminA, admins.IdB, "user")).AssertProblemAsync(HttpStatusCode.Conflict);
        await (await SetStatusAsync(client, adminA, admins.IdB, false)).AssertProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal(1L, await CountActiveAdminsAsync(isolated));
    }

    [Fact]
    public async Task The_last_active_admin_cannot_delete_its_account_and_two_admins_deleting_themselves_at_once_leave_one()
    {
        await using var isolated = await IsolatedApi.StartAsync();
        using var client = isolated.Factory.CreateClient();
        var password = isolated.Factory.AdminPassword;
        var adminA = await LoginTokenAsync(client, ApiFactory.AdminEmail, password);

        var alone = await client.DeleteAccountAsync(adminA, password);

        var problem = await alone.AssertProblemAsync(HttpStatusCode.Conflict);
        Assert.Contains("last active admin", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await client.GetMeAsync(adminA)).StatusCode);

        var admins = await PromoteSecondAdminAsync(client, adminA, (await GetMeJsonAsync(client, adminA)).GetProperty("id").GetString()!);
        var results = await Task.WhenAll(client.DeleteAccountAsync(admins.TokenA, password), client.DeleteAccountAsync(admins.TokenB, ApiClient.Password));

        Assert.Single(results, r => r.StatusCode == HttpStatusCode.NoContent);
        Assert.Single(results, r => r.StatusCode == HttpStatusCode.Conflict);
        Assert.Equal(1L, await CountActiveAdminsAsync(isolated));
    }

    [Theory]
    [InlineData("role", "role")]
    [InlineData("status", "status")]
    [InlineData("status", "role")]
    public async Task Two_admins_changing_each_other_at_once_leave_one_active_admin(string changeByA, string changeByB)
    {
        await using var isolated = await IsolatedApi.StartAsync();
        using var client = isolated.Factory.CreateClient();
        var adminA = await LoginTokenAsync(client, ApiFactory.AdminEmail, isolated.Factory.AdminPassword);
        var admins = await PromoteSecondAdminAsync(client, adminA, (await GetMeJsonAsync(client, adminA)).GetProperty("id").GetString()!);
        Task<HttpResponseMessage> Change(string change, string token, string id) =>
            change == "role" ? SetRoleAsync(client, token, id, "user") : SetStatusAsync(client, token, id, false);

        var results = await Task.WhenAll(Change(changeByA, admins.TokenA, admins.IdB), Change(changeByB, admins.TokenB, admins.IdA));

        // The loser is refused by the last-admin rule (409) or, when it was deactivated first, at the door (401).
        Assert.Single(results, r => r.StatusCode == HttpStatusCode.OK);
        Assert.Single(results, r => r.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.Unauthorized);
        Assert.Equal(1L, await CountActiveAdminsAsync(isolated));
    }

    [Fact]
    public async Task An_existing_user_named_in_the_admin_settings_is_promoted_at_start_up()
    {
        var (email, _) = await _client.RegisterAndLoginAsync();

        await using var app = api.WithSettings(new Dictionary<string, string?> { ["Admin:Email"] = email, ["Admin:Password"] = "Unused-but-strong-9f3k2" });
        _ = app.Server;
        await AdminFeature.FirstAdminOf(app.Services);

        Assert.Equal("admin", await api.Database.ScalarAsync<string>($"SELECT role FROM users WHERE normalized_email = '{email}'"));
        Assert.Equal(HttpStatusCode.OK, (await _client.LoginAsync(email)).StatusCode);
    }

    [Theory]
    [InlineData("change-me", "too weak or a placeholder")]
    [InlineData("short1!", "at least 8 characters")]
    [InlineData("Short-pass1", "too weak or a placeholder")]
    [InlineData("password12345", "one of the most commonly used passwords")]
    [InlineData("qwertyuiop123", "one of the most commonly used passwords")]
    [InlineData("1Q2W3E4R5T6Y", "one of the most commonly used passwords")]
    [InlineData("operator-is-my-name-2024", "must not contain the account's email address")]
    public void A_weak_placeholder_or_listed_admin_password_is_refused(string password, string reason)
    {
        var validator = api.Services.GetServices<IValidateOptions<AdminSettings>>().OfType<AdminSettingsValidator>().Single();

        var result = validator.Validate(null, new AdminSettings { Email = "operator@example.com", Password = password });

        Assert.True(result.Failed);
        Assert.StartsWith("Admin:Password", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains(reason, result.FailureMessage, StringComparison.Ordinal);
        Assert.DoesNotContain(password, result.FailureMessage, StringComparison.OrdinalIgnoreCase);
    }

    private sealed record TwoAdmins(string TokenA, string IdA, string TokenB, string IdB);

    /// <summary>Registers a user, has admin A promote it, and logs it in: two admins, each with a token.</summary>
    private static async Task<TwoAdmins> PromoteSecondAdminAsync(HttpClient client, string tokenA, string idA)
    {
        var (emailB, _) = await client.RegisterAndLoginAsync();
        var idB = await IdOfAsync(client, tokenA, emailB);
        Assert.Equal(HttpStatusCode.OK, (await SetRoleAsync(client, tokenA, idB, "admin")).StatusCode);
        return new TwoAdmins(tokenA, idA, await LoginTokenAsync(client, emailB, ApiClient.Password), idB);
    }

    private static Task<long> CountActiveAdminsAsync(IsolatedApi isolated) =>
        isolated.Factory.Database.ScalarAsync<long>("SELECT count(*) FROM users WHERE role = 'admin' AND is_active");

    private async Task<string> AdminTokenAsync() => await LoginTokenAsync(_client, ApiFactory.AdminEmail, api.AdminPassword);

    private Task<Guid> RegisterAsync() => _client.RegisterUserAsync();

    private Task<HttpResponseMessage> GetAsync(string path, string token) =>
        _client.SendAsync(new HttpRequestMessage(HttpMethod.Get, path).WithBearer(token));

    private async Task<JsonElement> GetJsonAsync(string path, string token)
    {
        var response = await GetAsync(path, token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private Task<JsonElement> GetMeJsonAsync(string token) => GetMeJsonAsync(_client, token);

    private Task<HttpResponseMessage> SetRoleAsync(string token, string id, string? role) => SetRoleAsync(_client, token, id, role);

    private Task<HttpResponseMessage> SetStatusAsync(string token, string id, bool isActive) => SetStatusAsync(_client, token, id, isActive);

    private static async Task<JsonElement> GetMeJsonAsync(HttpClient client, string token) =>
        await (await client.GetMeAsync(token)).Content.ReadFromJsonAsync<JsonElement>();

    private static Task<HttpResponseMessage> SetRoleAsync(HttpClient client, string token, string id, string? role) =>
        client.SendAsync(new HttpRequestMessage(HttpMethod.Put, $"/api/v1/admin/users/{id}/role") { Content = JsonContent.Create(new { role }) }.WithBearer(token));

    private static Task<HttpResponseMessage> SetStatusAsync(HttpClient client, string token, string id, bool isActive) =>
        client.SendAsync(new HttpRequestMessage(HttpMethod.Put, $"/api/v1/admin/users/{id}/status") { Content = JsonContent.Create(new { isActive }) }.WithBearer(token));

    private static async Task<string> LoginTokenAsync(HttpClient client, string email, string password)
    {
        var response = await client.LoginAsync(email, password);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString()!;
    }

    private static async Task<string> IdOfAsync(HttpClient client, string adminToken, string email)
    {
        var page = await (await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/api/v1/admin/users?pageSize=100").WithBearer(adminToken)))
            .Content.ReadFromJsonAsync<JsonElement>();
        return page.GetProperty("items").EnumerateArray().Single(user => user.GetProperty("email").GetString() == email).GetProperty("id").GetString()!;
    }
}
