using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Contoso.Orders.Api.Tests.Infrastructure;

namespace Contoso.Orders.Api.Tests;

/// <summary>
/// Every endpoint that reads a JSON body, against every kind of bad body: each answers the same 4xx (400 for what is
/// not the request the endpoint expects, 413 when too large, 415 when not JSON) as a Problem Details document with no
/// internal detail, and none answers 5xx.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class BadInputTests(ApiFactory api)
{
    public static readonly string[] BodyEndpoints =
    [
        "POST /api/v1/auth/register",
        "POST /api/v1/auth/login",
        "PUT /api/v1/users/me/password",
        "POST /api/v1/auth/refresh",
        "POST /api/v1/auth/logout",
        "PUT /api/v1/admin/users/{id}/role",
        "PUT /api/v1/admin/users/{id}/status",
    ];

    public static readonly (string Name, string Body, string? ContentType, HttpStatusCode Expected)[] BadBodies =
    [
        ("malformed JSON", """{"email": "a@example.com", """, "application/json", HttpStatusCode.BadRequest),
        ("empty body", "", "application/json", HttpStatusCode.BadRequest),
        ("JSON null", "null", "application/json", HttpStatusCode.BadRequest),
        ("an array", "[]", "application/json", HttpStatusCode.BadRequest),
        ("a string", "\"text\"", "application/json", HttpStatusCode.BadRequest),
        ("nulls everywhere", """{"email": null, "password": null, "currentPassword": null, "newPassword": null, "refreshToken": null, "role": null, "isActive": null}""", "application/json", HttpStatusCode.BadRequest),
        ("wrong types", """{"email": 1, "password": [], "currentPassword": {}, "newPassword": 2, "refreshToken": 3, "role": 4, "isActive": "yes"}""", "application/json", HttpStatusCode.BadRequest),
        ("an unknown field", """{"unexpected": true}""", "application/json", HttpStatusCode.BadRequest),
        ("a duplicated field", """{"email": "a@example.com", "email": "b@example.com"}""", "application/json", HttpStatusCode.BadRequest),
        ("very long strings", $$"""{"email": "{{new string('e', 100_000)}}", "password": "{{new string('p', 100_000)}}", "currentPassword": "{{new string('c', 100_000)}}", "newPassword": "{{new string('n', 100_000)}}", "refreshToken": "{{new string('r', 100_000)}}", "role": "{{new string('o', 100_000)}}"}""", "application/json", HttpStatusCode.BadRequest),
        ("control characters", """{"email": "a\u0000b@example.com", "password": "\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008", "refreshToken": "\u0000", "role": "\u0000"}""", "application/json", HttpStatusCode.BadRequest),
        ("invalid UTF-8", "{\"email\": \"\u00C3(\"}", "application/json", HttpStatusCode.BadRequest), // sent as Latin-1: the bytes C3 28 are not UTF-8
        ("a body over 1 MiB", $$"""{"email": "{{new string('x', 1_100_000)}}"}""", "application/json", HttpStatusCode.RequestEntityTooLarge),
        ("plain text", "email=a@example.com", "text/plain", HttpStatusCode.UnsupportedMediaType),
        ("XML", "<email>a@example.com</email>", "application/xml", HttpStatusCode.UnsupportedMediaType),
        ("no content type", """{"email": "a@example.com"}""", null, HttpStatusCode.UnsupportedMediaType),
    ];

    public static TheoryData<string, string> Cases()
    {
        var cases = new TheoryData<string, string>();
        foreach (var endpoint in BodyEndpoints)
        {
            foreach (var body in BadBodies)
            {
                cases.Add(endpoint, body.Name);
            }
        }

        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_bad_body_answers_its_4xx_problem_without_internal_detail(string endpoint, string badBody)
    {
        using var client = api.CreateClient();
        var (method, path) = (endpoint.Split(' ')[0], endpoint.Split(' ')[1]);
        var (_, body, contentType, expected) = BadBodies.Single(b => b.Name == badBody);
        var request = new HttpRequestMessage(new HttpMethod(method), path.Replace("{id}", Guid.NewGuid().ToString(), StringComparison.Ordinal))
        {
            Content = new ByteArrayContent((badBody == "invalid UTF-8" ? Encoding.Latin1 : Encoding.UTF8).GetBytes(body)),
        };
        if (contentType is not null)
        {
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType) { CharSet = "utf-8" };
        }

        if (!path.StartsWith("/api/v1/auth/", StringComparison.Ordinal))
        {
            request.WithBearer(await TokenForAsync(client, path));
        }

        var response = await client.SendAsync(request);

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        var problem = JsonSerializer.Deserialize<JsonElement>(text);
        Assert.Equal((int)response.StatusCode, problem.GetProperty("status").GetInt32());
        foreach (var internalDetail in new[] { "Exception", "   at ", "Npgsql", "System.", "Contoso.Orders.", "SELECT " })
        {
            Assert.DoesNotContain(internalDetail, text);
        }
    }

    private async Task<string> TokenForAsync(HttpClient client, string path)
    {
        if (path.StartsWith("/api/v1/admin/", StringComparison.Ordinal))
        {
            var login = await client.LoginAsync(ApiFactory.AdminEmail, api.AdminPassword);
            return (await login.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString()!;
        }

        return await client.AccessTokenForNewUserAsync();
    }
}
