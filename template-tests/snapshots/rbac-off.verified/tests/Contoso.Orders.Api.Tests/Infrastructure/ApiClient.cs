using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Contoso.Orders.Api.Tests.Infrastructure;

/// <summary>The calls most tests start with, written once.</summary>
public static class ApiClient
{
    public const string Password = "correct horse battery staple";

    /// <summary>The database behind each client a test app made (see <see cref="ApiFactory"/>).</summary>
    private static readonly ConditionalWeakTable<HttpClient, TestDatabase> Databases = [];

    public static string NewEmail(string prefix = "user") => $"{prefix}-{Guid.NewGuid():N}@example.com";

    public static void Remember(HttpClient client, TestDatabase database) => Databases.AddOrUpdate(client, database);

    public static Task<HttpResponseMessage> RegisterAsync(this HttpClient client, string email, string password = Password) =>
        client.PostAsJsonAsync("/api/v1/auth/register", new { email, password });

    public static Task<HttpResponseMessage> LoginAsync(this HttpClient client, string email, string password = Password) =>
        client.PostAsJsonAsync("/api/v1/auth/login", new { email, password });

    /// <summary>
    /// Registers the address and confirms it, for tests that are not about the email flows. The confirmation is a
    /// shortcut through SQL rather than the link in the email, which would have each of these tests wait for the
    /// email sender; the flow tests (Account/) confirm through the email and the endpoint.
    /// </summary>
    public static async Task RegisterConfirmedAsync(this HttpClient client, string email, string password = Password)
    {
        var registered = await client.RegisterAsync(email, password);
        Assert.Equal(HttpStatusCode.Accepted, registered.StatusCode);
        await client.ConfirmThroughSqlAsync(email);
    }

    /// <summary>Marks the address confirmed in the client's database (see <see cref="RegisterConfirmedAsync"/>).</summary>
    public static Task ConfirmThroughSqlAsync(this HttpClient client, string email)
    {
        var database = Databases.TryGetValue(client, out var known)
            ? known
            : throw new InvalidOperationException("The client was not made by an ApiFactory app.");
        return database.ExecuteAsync($"UPDATE users SET email_confirmed = true WHERE normalized_email = '{email.Trim().ToLowerInvariant().Replace("'", "''", StringComparison.Ordinal)}'");
    }

    /// <summary>Registers a new user with a confirmed address and returns its id.</summary>
    public static async Task<Guid> RegisterUserAsync(this HttpClient client, string? email = null)
    {
        email ??= NewEmail();
        await client.RegisterConfirmedAsync(email);
        return await Databases.GetValue(client, _ => throw new InvalidOperationException("The client was not made by an ApiFactory app."))
            .ScalarAsync<Guid>($"SELECT id FROM users WHERE normalized_email = '{email.ToLowerInvariant()}'");
    }

    /// <summary>Registers a new user with a confirmed address, logs in, and returns the email and the login's JSON body.</summary>
    public static async Task<(string Email, JsonElement Tokens)> RegisterAndLoginAsync(this HttpClient client, string password = Password)
    {
        var email = NewEmail();
        await client.RegisterConfirmedAsync(email, password);
        var login = await client.LoginAsync(email, password);
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        return (email, await login.Content.ReadFromJsonAsync<JsonElement>());
    }

    public static async Task<string> AccessTokenForNewUserAsync(this HttpClient client) =>
        (await client.RegisterAndLoginAsync()).Tokens.GetProperty("accessToken").GetString()!;

    public static HttpRequestMessage WithBearer(this HttpRequestMessage request, string token)
    {
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    public static Task<HttpResponseMessage> GetMeAsync(this HttpClient client, string token) =>
        client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/api/v1/users/me").WithBearer(token));

    public static Task<HttpResponseMessage> ChangePasswordAsync(this HttpClient client, string token, string? currentPassword, string? newPassword) =>
        client.SendAsync(new HttpRequestMessage(HttpMethod.Put, "/api/v1/users/me/password")
        {
            Content = JsonContent.Create(new { currentPassword, newPassword }),
        }.WithBearer(token));

    public static Task<HttpResponseMessage> DeleteAccountAsync(this HttpClient client, string token, string? password = Password) =>
        client.SendAsync(new HttpRequestMessage(HttpMethod.Delete, "/api/v1/users/me")
        {
            Content = JsonContent.Create(new { password }),
        }.WithBearer(token));

    /// <summary>Asserts a Problem Details body with the given status, and returns it.</summary>
    public static async Task<JsonElement> AssertProblemAsync(this HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.True(problem.TryGetProperty("title", out _), "A problem has a title.");
        Assert.True(problem.TryGetProperty("type", out _), "A problem has a type.");
        return problem;
    }
}
