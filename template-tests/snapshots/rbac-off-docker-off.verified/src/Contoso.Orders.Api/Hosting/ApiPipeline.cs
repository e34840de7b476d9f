using Microsoft.AspNetCore.Authorization;

namespace Contoso.Orders.Api.Hosting;

public static class ApiPipeline
{
    /// <summary>
    /// Every endpoint requires an authenticated user unless it opts out with AllowAnonymous. A request that matches no
    /// endpoint, or that routing itself rejects (405 wrong method, 415 wrong content type), runs no application code
    /// and keeps its own status rather than a 401.
    /// </summary>
    public static IServiceCollection AddAuthorizationPolicies(this IServiceCollection services) =>
        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder()
                .RequireAssertion(context => context.User.Identity?.IsAuthenticated == true
                    || context.Resource is HttpContext httpContext && httpContext.GetEndpoint() is not RouteEndpoint)
                .Build())
            .Services;

    /// <summary>The middleware, outermost first.</summary>
    public static WebApplication UseApiPipeline(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        if (!app.Environment.IsDevelopment())
        {
            app.UseHsts();
            app.UseHttpsRedirection();
        }

        app.UseRequestBodyLimit();
        app.UseCorsWhenConfigured();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        return app;
    }
}
