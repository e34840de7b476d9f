using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Contoso.Orders.Api.Security;

public static class SecurityEventsRegistration
{
    public static IServiceCollection AddSecurityEvents(this IServiceCollection services)
    {
        // The events read the client's address from the current request, wherever in the request they are raised.
        services.AddHttpContextAccessor();
        services.AddSingleton<SecurityEvents>();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, AuthorizationFailureEvents>();
        return services;
    }

    /// <summary>The authenticated caller's id (the access token's <c>sub</c>), or null for an anonymous request.</summary>
    public static Guid? UserIdOf(ClaimsPrincipal user) =>
        user.Identity?.IsAuthenticated == true && Guid.TryParse(user.FindFirstValue(JwtRegisteredClaimNames.Sub), out var id) ? id : null;

    /// <summary>
    /// What a request asked for, as the route's method and template (<c>GET /api/v1/things/{id:guid}</c>): never the
    /// path itself, which is the caller's to fill with anything.
    /// </summary>
    public static string ResourceOf(HttpContext context) =>
        context.GetEndpoint() is RouteEndpoint { RoutePattern.RawText: { } route }
            // A group's root route ends in the slash that joins it to the group's prefix.
            ? $"{context.Request.Method} {(route.Length > 1 ? route.TrimEnd('/') : route)}"
            : $"{context.Request.Method} (no endpoint)";

    /// <summary>
    /// Logs each 401 and 403 that authorization decides, then lets the default handler answer as before. Only the
    /// pipeline's decisions: a handler's own 401 (a refused login) is an event of its own.
    /// </summary>
    private sealed class AuthorizationFailureEvents(SecurityEvents events) : IAuthorizationMiddlewareResultHandler
    {
        private readonly AuthorizationMiddlewareResultHandler _default = new();

        public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
        {
            if (authorizeResult.Challenged)
            {
                events.AuthorizationFailed(null, ResourceOf(context), StatusCodes.Status401Unauthorized);
            }
            else if (authorizeResult.Forbidden)
            {
                events.AuthorizationFailed(UserIdOf(context.User), ResourceOf(context), StatusCodes.Status403Forbidden);
            }

            return _default.HandleAsync(next, context, policy, authorizeResult);
        }
    }
}
