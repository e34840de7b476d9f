using System.Globalization;
using Contoso.Orders.Api.Auth;
using Contoso.Orders.Api.Configuration;
using Contoso.Orders.Api.Hosting;
using Contoso.Orders.Api.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Contoso.Orders.Api.TwoFactor;

public sealed record TwoFactorSetupRequest(string? Password)
{
    public Dictionary<string, string[]> Validate() => ValidationErrors.Of(
        ("password", string.IsNullOrEmpty(Password) ? "Password is required." : null));
}

public sealed record EnableTwoFactorRequest(string? Code)
{
    public Dictionary<string, string[]> Validate() => ValidationErrors.Of(
        ("code", string.IsNullOrWhiteSpace(Code) ? "Code is required." : null));
}

/// <summary>A change to an enabled second factor: the password, and a code from the app or a recovery code.</summary>
public sealed record TwoFactorChangeRequest(string? Password, string? Code)
{
    public Dictionary<string, string[]> Validate() => ValidationErrors.Of(
        ("password", string.IsNullOrEmpty(Password) ? "Password is required." : null),
        ("code", string.IsNullOrWhiteSpace(Code) ? "Code is required." : null));
}

public sealed record TwoFactorLoginRequest(string? MfaToken, string? Code)
{
    public Dictionary<string, string[]> Validate() => ValidationErrors.Of(
        ("mfaToken", string.IsNullOrWhiteSpace(MfaToken) ? "The mfaToken of the login's answer is required." : null),
        ("code", string.IsNullOrWhiteSpace(Code) ? "Code is required." : null));
}

public static class TwoFactorApi
{
    public static IServiceCollection AddTwoFactor(this IServiceCollection services)
    {
        services.AddSettings<TwoFactorSettings, TwoFactorSettingsValidator>(TwoFactorSettings.Section);
        services.AddKeyRing();
        services.AddSingleton<TwoFactorSecrets>();
        services.AddSingleton<RecoveryCodes>();
        services.AddScoped<TwoFactorCodes>();
        services.AddScoped<TwoFactorChallenges>();
        services.AddScoped<TwoFactorMail>();
        services.AddScoped<TwoFactorService>();
        services.AddScoped<TwoFactorLogin>();
        services.AddHostedService<TwoFactorChallengePruning>();
        return services;
    }

    public static void MapTwoFactorEndpoints(this IEndpointRouteBuilder api)
    {
        api.MapPost("/auth/login/two-factor", LoginAsync)
            .WithTags("Auth")
            .AllowAnonymous()
            .RequireRateLimiting(RateLimiting.CredentialsPolicy)
            .WithSummary("Complete a login that answered two-factor-required: its mfaToken and a code from the authenticator app or a recovery code")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);

        var group = api.MapGroup("/users/me/two-factor")
            .WithTags("Users")
            .RequireAuthorization()
            .RequireRateLimiting(RateLimiting.CredentialsPolicy)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);

        group.MapPost("/setup", SetUpAsync)
            .WithSummary("Start setting up an authenticator app: a new secret to show as a QR code; two-factor sign-in is on once a code is confirmed");
        group.MapPost("/enable", EnableAsync)
            .WithSummary("Turn two-factor sign-in on with a code from the app; answers the recovery codes, shown this once");
        group.MapPost("/disable", DisableAsync)
            .WithSummary("Turn two-factor sign-in off (password and a code); every other session ends");
        group.MapPost("/recovery-codes", RenewRecoveryCodesAsync)
            .WithSummary("A new set of recovery codes (password and a code); the old set stops working");
    }

    private static async Task<Results<Ok<TokenResponse>, ValidationProblem, ProblemHttpResult>> LoginAsync(
        TwoFactorLoginRequest request, TwoFactorLogin login, HttpContext httpContext, CancellationToken cancellationToken)
    {
        if (request.Validate() is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var result = await login.CompleteAsync(request.MfaToken!, request.Code!, cancellationToken);
        switch (result.Outcome)
        {
            case LoginOutcome.Success:
                httpContext.Response.PreventCaching();
                return TypedResults.Ok(result.Tokens!);
            case LoginOutcome.Throttled:
                httpContext.Response.Headers.RetryAfter = Seconds(result.RetryAfter!.Value);
                return ApiProblems.TooManyWrongCodes();
            default:
                // One answer for a wrong code and an unknown, expired or spent token.
                return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "The code or the mfaToken is not valid.");
        }
    }

    private static async Task<Results<Ok<AuthenticatorSetup>, ValidationProblem, ProblemHttpResult>> SetUpAsync(
        TwoFactorSetupRequest request, CurrentUser currentUser, TwoFactorService twoFactor, HttpContext httpContext, CancellationToken cancellationToken)
    {
        if (request.Validate() is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        return Answer(await twoFactor.SetUpAsync(currentUser.Id, request.Password!, cancellationToken), httpContext);
    }

    private static async Task<Results<Ok<RecoveryCodeSet>, ValidationProblem, ProblemHttpResult>> EnableAsync(
        EnableTwoFactorRequest request, CurrentUser currentUser, TwoFactorService twoFactor, HttpContext httpContext, CancellationToken cancellationToken)
    {
        if (request.Validate() is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        return Answer(await twoFactor.EnableAsync(currentUser.Id, request.Code!, cancellationToken), httpContext);
    }

    private static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> DisableAsync(
        TwoFactorChangeRequest request, CurrentUser currentUser, TwoFactorService twoFactor, HttpContext httpContext, CancellationToken cancellationToken)
    {
        if (request.Validate() is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var result = await twoFactor.DisableAsync(currentUser.Id, request.Password!, request.Code!, currentUser.SessionId, cancellationToken);
        Refuse(result, httpContext, out var validation, out var problem);
        if (validation is not null)
        {
            return validation;
        }

        return problem is not null ? problem : TypedResults.NoContent();
    }

    private static async Task<Results<Ok<RecoveryCodeSet>, ValidationProblem, ProblemHttpResult>> RenewRecoveryCodesAsync(
        TwoFactorChangeRequest request, CurrentUser currentUser, TwoFactorService twoFactor, HttpContext httpContext, CancellationToken cancellationToken)
    {
        if (request.Validate() is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        return Answer(await twoFactor.RenewRecoveryCodesAsync(currentUser.Id, request.Password!, request.Code!, cancellationToken), httpContext);
    }

    private static Results<Ok<T>, ValidationProblem, ProblemHttpResult> Answer<T>(TwoFactorResult<T> result, HttpContext httpContext)
        where T : class
    {
        Refuse(result, httpContext, out var validation, out var problem);
        if (validation is not null)
        {
            return validation;
        }

        if (problem is not null)
        {
            return problem;
        }

        // Secrets and recovery codes must not stay in a browser's or proxy's cache.
        httpContext.Response.PreventCaching();
        return TypedResults.Ok(result.Value!);
    }

    /// <summary>The answer to a refused request: a field's problem, the account's state, or the throttle's wait.</summary>
    private static void Refuse<T>(TwoFactorResult<T> result, HttpContext httpContext, out ValidationProblem? validation, out ProblemHttpResult? problem)
        where T : class
    {
        validation = null;
        problem = null;
        if (result.RetryAfter is { } retryAfter)
        {
            httpContext.Response.Headers.RetryAfter = Seconds(retryAfter);
            problem = ApiProblems.TooManyWrongCodes();
        }
        else if (result.Refusal is { Field: { } field } fieldRefusal)
        {
            validation = TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [fieldRefusal.Message] });
        }
        else if (result.Refusal is { } refusal)
        {
            problem = TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: refusal.Message);
        }
    }

    private static string Seconds(TimeSpan wait) => Math.Ceiling(wait.TotalSeconds).ToString(CultureInfo.InvariantCulture);
}
