using System.Globalization;
using my_api.Api.Account;
using my_api.Api.Hosting;
using my_api.Api.Passwords;
using Microsoft.AspNetCore.Http.HttpResults;

namespace my_api.Api.Auth;

public static class AuthApi
{
    public static IServiceCollection AddAuthFeature(this IServiceCollection services)
    {
        services.AddScoped<AuthService>();
        services.AddScoped<TokenIssuer>();
        services.AddScoped<LoginThrottle>();
        services.AddHostedService<FailedLoginPruning>();
        return services;
    }

    public static RouteGroupBuilder MapAuthEndpoints(this IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("/auth").WithTags("Auth").AllowAnonymous();

        group.MapPost("/register", RegisterAsync)
            .RequireRateLimiting(RateLimiting.CredentialsPolicy)
            .WithSummary("Create an account; the answer is the same whether or not the address has one already")
            .ProducesProblem(StatusCodes.Status429TooManyRequests);

        group.MapPost("/login", LoginAsync)
            .RequireRateLimiting(RateLimiting.CredentialsPolicy)
            .WithSummary("Exchange email and password for tokens; an account with two-factor sign-in answers 403 two-factor-required with an mfaToken")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            // Per client address (the limiter) and per email (LoginThrottle), both with Retry-After.
            .ProducesProblem(StatusCodes.Status429TooManyRequests);

        return group;
    }

    private static async Task<Results<Accepted<AcceptedResponse>, ValidationProblem>> RegisterAsync(
        RegisterRequest request, PasswordPolicy passwords, AuthService auth, CancellationToken cancellationToken)
    {
        if (await request.ValidateAsync(passwords, cancellationToken) is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        await auth.RegisterAsync(request.Email!, request.Password!, cancellationToken);
        return TypedResults.Accepted((string?)null, AcceptedResponse.Registration);
    }

    private static async Task<Results<Ok<TokenResponse>, ValidationProblem, ProblemHttpResult>> LoginAsync(
        LoginRequest request, AuthService auth, HttpContext httpContext, CancellationToken cancellationToken)
    {
        if (request.Validate() is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var result = await auth.LoginAsync(request.Email!, request.Password!, cancellationToken);
        switch (result.Outcome)
        {
            case LoginOutcome.InvalidCredentials:
                return ApiProblems.InvalidCredentials();
            case LoginOutcome.EmailNotConfirmed:
                return ApiProblems.EmailNotConfirmed();
            case LoginOutcome.TwoFactorRequired:
                httpContext.Response.PreventCaching();
                return ApiProblems.TwoFactorRequired(result.Challenge!);
            case LoginOutcome.Throttled:
                httpContext.Response.Headers.RetryAfter = Math.Ceiling(result.RetryAfter!.Value.TotalSeconds).ToString(CultureInfo.InvariantCulture);
                return ApiProblems.TooManyFailedLogins();
            default:
                httpContext.Response.PreventCaching();
                return TypedResults.Ok(result.Tokens!);
        }
    }
}
