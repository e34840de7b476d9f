using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Contoso.Auth_Api.Api.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;

namespace Contoso.Auth_Api.Api.Tests.Admin;

/// <summary>The security events of the RBAC feature: a role change, a deactivation, and a user refused an admin endpoint.</summary>
[Collection(ApiCollection.Name)]
public sealed class AdminSecurityEventTests(ApiFactory api)
{
    [Fact]
    public async Task Changing_a_role_logs_authz_change_with_both_roles_and_both_users()
    {
        await using var app = new SecurityEventApp(api);
        var (adminId, adminToken) = await AdminAsync(app.Client);
        var target = await app.Client.RegisterUserAsync();

        Assert.Equal(HttpStatusCode.OK, (await SendAsync(app.Client, adminToken, $"/api/v1/admin/users/{target}/role", new { role = "admin" })).StatusCode);

        var record = app.Single(9030, "authz_change", LogLevel.Warning);
        Assert.Equal(adminId, record.GetStructuredStateValue("UserId"));
        Assert.Equal(target.ToString(), record.GetStructuredStateValue("TargetUserId"));
        Assert.Equal("user", record.GetStructuredStateValue("FromRole"));
        Assert.Equal("admin", record.GetStructuredStateValue("ToRole"));
        app.AssertNoEventCarries(adminToken, api.AdminPassword, ApiFactory.AdminEmail);
    }

    [Fact]
    public async Task Deactivating_logs_user_archived_and_reactivating_user_updated()
    {
        await using var app = new SecurityEventApp(api);
        var (adminId, adminToken) = await AdminAsync(app.Client);
        var target = await app.Client.RegisterUserAsync();

        Assert.Equal(HttpStatusCode.OK, (await SendAsync(app.Client, adminToken, $"/api/v1/admin/users/{target}/status", new { isActive = false })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(app.Client, adminToken, $"/api/v1/admin/users/{target}/status", new { isActive = true })).StatusCode);

        var archived = app.Single(9031, "user_archived", LogLevel.Warning);
        Assert.Equal(adminId, archived.GetStructuredStateValue("UserId"));
        Assert.Equal(target.ToString(), archived.GetStructuredStateValue("TargetUserId"));
        var reactivated = app.Single(9041, "user_updated", LogLevel.Warning);
        Assert.Equal(adminId, reactivated.GetStructuredStateValue("UserId"));
        Assert.Equal(target.ToString(), reactivated.GetStructuredStateValue("TargetUserId"));
        Assert.Equal("active", reactivated.GetStructuredStateValue("Attribute"));
        Assert.DoesNotContain(app.Events, record => record.Id.Id == 9030);
        app.AssertNoEventCarries(adminToken, api.AdminPassword, ApiFactory.AdminEmail);
    }

    [Fact]
    public async Task A_user_at_an_admin_endpoint_logs_authz_fail_403_and_shows_in_aspnetcore_authorization_attempts()
    {
        await using var app = new SecurityEventApp(api);
        using var attempts = new MetricCollector<long>(app.Services.GetRequiredService<IMeterFactory>(), "Microsoft.AspNetCore.Authorization", "aspnetcore.authorization.attempts");
        var email = ApiClient.NewEmail();
        var userId = await app.Client.RegisterUserAsync(email);
        var login = await (await app.Client.LoginAsync(email)).Content.ReadFromJsonAsync<JsonElement>();
        var token = login.GetProperty("accessToken").GetString()!;

        var response = await app.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/api/v1/admin/users").WithBearer(token));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var record = app.Single(9020, "authz_fail", LogLevel.Critical);
        Assert.Equal("403", record.GetStructuredStateValue("Status"));
        Assert.Equal(userId.ToString(), record.GetStructuredStateValue("UserId"));
        Assert.Equal("GET /api/v1/admin/users", record.GetStructuredStateValue("Resource"));
        Assert.Contains(attempts.GetMeasurementSnapshot(), attempt =>
            Equals(attempt.Tags["aspnetcore.authorization.result"], "failure") && Equals(attempt.Tags["aspnetcore.user.is_authenticated"], true));
        app.AssertNoEventCarries([email, ApiClient.Password, .. SecurityEventTests.TokensIn(login)]);
    }

    private async Task<(string Id, string Token)> AdminAsync(HttpClient client)
    {
        var login = await client.LoginAsync(ApiFactory.AdminEmail, api.AdminPassword);
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        var token = (await login.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString()!;
        var id = (await api.Database.ScalarAsync<Guid>($"SELECT id FROM users WHERE normalized_email = '{ApiFactory.AdminEmail}'")).ToString();
        return (id, token);
    }

    private static Task<HttpResponseMessage> SendAsync(HttpClient client, string token, string path, object body) =>
        client.SendAsync(new HttpRequestMessage(HttpMethod.Put, path) { Content = JsonContent.Create(body) }.WithBearer(token));
}
