using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Contoso.Orders.Api.Tests.Infrastructure;

/// <summary>The calls most tests start with, written once.</summary>
public static class ApiClient
{
    public const string Password = "correct horse battery staple";

    public static string NewEmail(string prefix = "user") => $"{prefix}-{Guid.NewGuid():N}@example.com";

    public static Task<HttpResponseMessage> RegisterAsync(this HttpClient client, string email, string password = Password) =>
        client.PostAsJsonAsync("/api/v1/auth/register", new { email, password });

    public static Task<HttpResponseMessage> LoginAsync(this HttpClient client, string email, string password = Password) =>
        client.PostAsJsonAsync("/api/v1/auth/login", new { email, password });

    /// <summary>Registers a new user, logs in, and returns the email and the login's JSON body.</summary>
    public static async Task<(string Email, JsonElement Tokens)> RegisterAndLoginAsync(this HttpClient client, string password = Password)
    {
        var email = NewEmail();
        var registered = await client.RegisterAsync(email, password);
        Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
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
