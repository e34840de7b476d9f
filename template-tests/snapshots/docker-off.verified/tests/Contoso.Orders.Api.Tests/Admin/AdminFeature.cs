using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Contoso.Orders.Api.Admin;
using Contoso.Orders.Api.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Contoso.Orders.Api.Tests.Admin;

/// <summary>The admin endpoints, for the tests that cover every endpoint, and the first admin every test app has.</summary>
public sealed class AdminFeature : IApiFeature
{
    public IEnumerable<KeyValuePair<string, string?>> SettingsFor(ApiFactory factory) =>
        [new("Admin:Email", ApiFactory.AdminEmail), new("Admin:Password", factory.AdminPassword)];

    /// <summary>The first admin is made once the app has started; every test app waits for it.</summary>
    public Task StartedAsync(IServiceProvider services) => FirstAdminOf(services);

    /// <summary>Completes when the app of <paramref name="services"/> has made sure of its first admin.</summary>
    public static Task FirstAdminOf(IServiceProvider services) =>
        services.GetServices<IHostedService>().OfType<FirstAdminAtStartup>().Single().ExecuteTask ?? Task.CompletedTask;

    public IEnumerable<ApiEndpoint> Endpoints =>
    [
        new("GET", "/api/v1/admin/users", Anonymous: false),
        new("GET", "/api/v1/admin/users/{id}", Anonymous: false),
        new("DELETE", "/api/v1/admin/users/{id}/two-factor", Anonymous: false),
        new("PUT", "/api/v1/admin/users/{id}/role", Anonymous: false, new RequestBody(
            [BodyField.Checked("role")],
            (api, client) => OnANewUserAsync(api, client, "role", new JsonObject { ["role"] = "user" }))),
        new("PUT", "/api/v1/admin/users/{id}/status", Anonymous: false, new RequestBody(
            [BodyField.Flag("isActive")],
            (api, client) => OnANewUserAsync(api, client, "status", new JsonObject { ["isActive"] = true }))),
    ];

    /// <summary>A change to a new user, sent by the first admin.</summary>
    private static async Task<GoodRequest> OnANewUserAsync(ApiFactory api, HttpClient client, string change, JsonObject body)
    {
        var id = await client.RegisterUserAsync();
        var login = await client.LoginAsync(ApiFactory.AdminEmail, api.AdminPassword);
        var token = (await login.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString();
        return new GoodRequest($"/api/v1/admin/users/{id}/{change}", token, body, HttpStatusCode.OK);
    }
}

public static class FirstAdminOfTestApps
{
    extension(ApiFactory factory)
    {
        public static string AdminEmail => "first-admin@example.com";

        /// <summary>The first admin's password, made for this factory only.</summary>
        public string AdminPassword => factory.Secret("Admin:Password", () => $"Adm1n-{Guid.NewGuid():N}");
    }
}
