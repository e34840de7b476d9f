using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AuthTemplate.Api.Tests.Infrastructure;

namespace AuthTemplate.Api.Tests;

[Collection(ApiCollection.Name)]
public sealed class OpenApiTests(ApiFactory api)
{
    private static readonly string[] Operations =
    [
        "post /api/v1/auth/register",
        "post /api/v1/auth/login",
        "post /api/v1/auth/confirm-email",
        "post /api/v1/auth/resend-confirmation",
        "post /api/v1/auth/forgot-password",
        "post /api/v1/auth/reset-password",
#if (RefreshTokens)
        "post /api/v1/auth/refresh",
        "post /api/v1/auth/logout",
        "post /api/v1/auth/logout-all",
#endif
        "get /api/v1/users/me",
        "put /api/v1/users/me/password",
        "put /api/v1/users/me/email",
#if (Rbac)
        "get /api/v1/admin/users",
        "get /api/v1/admin/users/{id}",
        "put /api/v1/admin/users/{id}/role",
        "put /api/v1/admin/users/{id}/status",
#endif
    ];

    [Fact]
    public async Task The_document_names_every_api_endpoint_and_the_bearer_scheme()
    {
        using var client = api.CreateClient();

        var response = await client.GetAsync("/openapi/v1.json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var document = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.StartsWith("3.", document.GetProperty("openapi").GetString());
        var documented = document.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject().Select(operation => $"{operation.Name} {path.Name}"))
            .Where(operation => operation.Contains("/api/v1/", StringComparison.Ordinal));
        Assert.Equal(Operations.Order(), documented.Order());

        var scheme = document.GetProperty("components").GetProperty("securitySchemes").GetProperty("Bearer");
        Assert.Equal("http", scheme.GetProperty("type").GetString());
        Assert.Equal("bearer", scheme.GetProperty("scheme").GetString());

        var paths = document.GetProperty("paths");
        Assert.True(paths.GetProperty("/api/v1/users/me").GetProperty("get").TryGetProperty("security", out _), "/users/me requires the bearer scheme");
        Assert.False(paths.GetProperty("/api/v1/auth/login").GetProperty("post").TryGetProperty("security", out _), "login is anonymous");
    }
}
