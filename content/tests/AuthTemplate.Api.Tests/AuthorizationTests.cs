using System.Net;
using AuthTemplate.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace AuthTemplate.Api.Tests;

/// <summary>Security checklist point 17: every endpoint requires a user unless it opts out.</summary>
[Collection(ApiCollection.Name)]
public sealed class AuthorizationTests(ApiFactory api)
{
    private static readonly string[] AnonymousEndpoints =
    [
        "POST /api/v1/auth/register",
        "POST /api/v1/auth/login",
#if (RefreshTokens)
        "POST /api/v1/auth/refresh",
        "POST /api/v1/auth/logout",
#endif
        "GET /health/live",
        "GET /health/ready",
        "GET /openapi/{documentName}.json",
        "GET /.well-known/jwks.json",
        "GET /.well-known/openid-configuration",
    ];

    [Fact]
    public void Only_the_expected_endpoints_allow_anonymous_callers()
    {
        var anonymous = Endpoints().Where(e => e.Endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null).Select(e => e.Name);

        Assert.Equal(AnonymousEndpoints.Order(), anonymous.Order());
    }

    [Fact]
    public async Task Every_other_endpoint_answers_401_without_a_token()
    {
        using var client = api.CreateClient();
        var protectedEndpoints = Endpoints().Where(e => e.Endpoint.Metadata.GetMetadata<IAllowAnonymous>() is null).ToList();
        Assert.NotEmpty(protectedEndpoints);

        foreach (var (endpoint, name) in protectedEndpoints)
        {
            var method = name.Split(' ')[0];
            var path = endpoint.RoutePattern.RawText!.Replace("{id:guid}", Guid.NewGuid().ToString(), StringComparison.Ordinal);
            using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json") };

            var response = await client.SendAsync(request);

            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{name} answered {response.StatusCode}");
        }
    }

    private IEnumerable<(RouteEndpoint Endpoint, string Name)> Endpoints() =>
        api.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .SelectMany(endpoint => (endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"])
                .Select(method => (endpoint, $"{method} {endpoint.RoutePattern.RawText}")));
}
