using Contoso.Orders.Api.Hosting;
using Contoso.Orders.Api.Users;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Contoso.Orders.Api.Auth;

public static class AuthApi
{
    public static IServiceCollection AddAuthFeature(this IServiceCollection services)
    {
        services.AddScoped<AuthService>();
        services.AddScoped<TokenIssuer>();
        return services;
    }

    public static RouteGroupBuilder MapAuthEndpoints(this IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("/auth").WithTags("Auth").AllowAnonymous();

        group.MapPost("/register", RegisterAsync)
            .RequireRateLimiting(RateLimiting.CredentialsPolicy)
            .WithSummary("Create an account")
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);

        group.MapPost("/login", LoginAsync)
            .RequireRateLimiting(RateLimiting.CredentialsPolicy)
            .WithSummary("Exchange email and password for tokens")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);

        return group;
    }

    private static async Task<Results<Created<UserResponse>, ValidationProblem, ProblemHttpResult>> RegisterAsync(
        RegisterRequest request, AuthService auth, CancellationToken cancellationToken)
    {
        if (request.Validate() is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var user = await auth.RegisterAsync(request.Email!, request.Password!, cancellationToken);
        return user is null
            ? ApiProblems.EmailAlreadyRegistered()
            : TypedResults.Created("/api/v1/users/me", UserResponse.From(user));
    }

    private static async Task<Results<Ok<TokenResponse>, ValidationProblem, ProblemHttpResult>> LoginAsync(
        LoginRequest request, AuthService auth, HttpContext httpContext, CancellationToken cancellationToken)
    {
        if (request.Validate() is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var tokens = await auth.LoginAsync(request.Email!, request.Password!, cancellationToken);
        if (tokens is null)
        {
            return ApiProblems.InvalidCredentials();
        }

        httpContext.Response.PreventCaching();
        return TypedResults.Ok(tokens);
    }
}
