using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using my_api.Api.Tests.Infrastructure;

namespace my_api.Api.Tests;

[Collection(ApiCollection.Name)]
public sealed class OpenApiTests(ApiFactory api)
{
    [Fact]
    public async Task The_document_names_every_api_endpoint_and_the_bearer_scheme()
    {
        using var client = api.CreateClient();

        var response = await client.GetAsync("/openapi/v1.json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var document = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.StartsWith("3.", document.GetProperty("openapi").GetString());
        var documented = document.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject().Select(operation => $"{operation.Name.ToUpperInvariant()} {path.Name}"))
            .Where(operation => operation.Contains("/api/v1/", StringComparison.Ordinal));
        var described = ApiFeatures.Endpoints.Where(endpoint => endpoint.Path.StartsWith("/api/v1/", StringComparison.Ordinal)).Select(endpoint => endpoint.Name);
        Assert.Equal(described.Order(), documented.Order());

        var scheme = document.GetProperty("components").GetProperty("securitySchemes").GetProperty("Bearer");
        Assert.Equal("http", scheme.GetProperty("type").GetString());
        Assert.Equal("bearer", scheme.GetProperty("scheme").GetString());

        var paths = document.GetProperty("paths");
        Assert.True(paths.GetProperty("/api/v1/users/me").GetProperty("get").TryGetProperty("security", out _), "/users/me requires the bearer scheme");
        Assert.False(paths.GetProperty("/api/v1/auth/login").GetProperty("post").TryGetProperty("security", out _), "login is anonymous");
    }
}
