using System.Net;
using System.Text.RegularExpressions;
using Contoso.Orders.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Contoso.Orders.Api.Tests;

/// <summary>Security checklist point 17: every endpoint requires a user unless it opts out.</summary>
[Collection(ApiCollection.Name)]
public sealed partial class AuthorizationTests(ApiFactory api)
{
    [Fact]
    public void Every_mapped_endpoint_is_described_by_its_feature()
    {
        // The descriptions say which endpoints allow anonymous callers, and which bodies the bad-input tests send where.
        var mapped = Endpoints().Select(e => e.Name);

        Assert.Equal(ApiFeatures.Endpoints.Select(endpoint => endpoint.Name).Order(), mapped.Order());
    }

    [Fact]
    public void Only_the_expected_endpoints_allow_anonymous_callers()
    {
        var anonymous = Endpoints().Where(e => e.Endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null).Select(e => e.Name);

        var expected = ApiFeatures.Endpoints.Where(endpoint => endpoint.Anonymous).Select(endpoint => endpoint.Name);
        Assert.Equal(expected.Order(), anonymous.Order());
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
            var path = name.Split(' ')[1].Replace("{id}", Guid.NewGuid().ToString(), StringComparison.Ordinal);
            using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json") };

            var response = await client.SendAsync(request);

            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{name} answered {response.StatusCode}");
        }
    }

    /// <summary>Every endpoint the app maps, named as the OpenAPI document names it (<c>{id}</c> for <c>{id:guid}</c>).</summary>
    private IEnumerable<(RouteEndpoint Endpoint, string Name)> Endpoints() =>
        api.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .SelectMany(endpoint => (endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"])
                .Select(method => (endpoint, $"{method} {RouteConstraint().Replace(endpoint.RoutePattern.RawText!, "{$1}").TrimEnd('/')}")));

    [GeneratedRegex(@"\{(\w+):[^}]*\}")]
    private static partial Regex RouteConstraint();
}
