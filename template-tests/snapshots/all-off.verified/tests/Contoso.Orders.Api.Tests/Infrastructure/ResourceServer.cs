using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Contoso.Orders.Api.Tests.Infrastructure;

/// <summary>
/// Another service of the fleet: a minimal ASP.NET Core app that knows nothing of the API but its address and its
/// audience, set up exactly as README.md ("Verify our tokens in another service") tells, and finding our keys
/// through the discovery metadata. The backchannel handler is only the network: it carries the metadata
/// requests to the API, wherever the test runs it.
/// </summary>
public sealed class ResourceServer(WebApplication app) : IAsyncDisposable
{
    public const string ProtectedPath = "/orders";

    public static async Task<ResourceServer> StartAsync(string authority, string audience, HttpMessageHandler backchannel)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production });
        builder.WebHost.UseTestServer();
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(options =>
        {
            options.Authority = authority;
            options.Audience = audience;
            options.TokenValidationParameters.ValidTypes = ["at+jwt"];
            options.BackchannelHttpHandler = backchannel;
        });
        builder.Services.AddAuthorization();
        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapGet(ProtectedPath, (ClaimsPrincipal user) => user.FindFirstValue(ClaimTypes.NameIdentifier)).RequireAuthorization();
        await app.StartAsync();
        return new ResourceServer(app);
    }

    public HttpClient CreateClient() => app.GetTestClient();

    public async ValueTask DisposeAsync() => await app.DisposeAsync();
}

/// <summary>Sends each request to the next of several running APIs in turn, as a load balancer in front of replicas would.</summary>
public sealed class RoundRobinHandler(params Uri[] replicas) : DelegatingHandler(new SocketsHttpHandler())
{
    private int _next;

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var replica = replicas[(int)((uint)Interlocked.Increment(ref _next) % replicas.Length)];
        request.RequestUri = new UriBuilder(request.RequestUri!) { Scheme = replica.Scheme, Host = replica.Host, Port = replica.Port }.Uri;
        return base.SendAsync(request, cancellationToken);
    }
}
