using System.Globalization;
using Contoso.Orders.Api.Auth;
using Contoso.Orders.Api.Configuration;
using Contoso.Orders.Api.Hosting;
using Contoso.Orders.Api.Security;
using Fido2NetLib;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Contoso.Orders.Api.Passkeys;

public static class PasskeysApi
{
    public static IServiceCollection AddPasskeys(this IServiceCollection services)
    {
        services.AddSettings<PasskeySettings, PasskeySettingsValidator>(PasskeySettings.Section);
        services.AddSingleton<IFido2>(serviceProvider =>
        {
            var settings = serviceProvider.GetRequiredService<IOptions<PasskeySettings>>().Value;
            return new Fido2(new Fido2Configuration
            {
                RPID = settings.RpId!.Trim(),
                RPName = settings.RpName,
                Origins = settings.Origins.ToHashSet(StringComparer.Ordinal),
                // A hint to the browser: how long it may wait for the user, as long as the flow lives.
                Timeout = (uint)PasskeySettings.FlowLifetime.TotalMilliseconds,
            });
        });
        services.AddScoped<PasskeyFlows>();
        services.AddScoped<PasskeyMail>();
        services.AddScoped<PasskeyService>();
        services.AddScoped<PasskeyLogin>();
        services.AddHostedService<PasskeyFlowPruning>();
        return services;
    }

    public static void MapPasskeyEndpoints(this IEndpointRouteBuilder api)
    {
        var signIn = api.MapGroup("/auth/passkey")
            .WithTags("Auth")
            .AllowAnonymous()
            .RequireRateLimiting(RateLimiting.CredentialsPolicy)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        signIn.MapPost("/options", BeginSignInAsync)
            .WithSummary("Start a passkey sign-in: options for navigator.credentials.get (parseRequestOptionsFromJSON), naming no credential");
        signIn.MapPost("/login", SignInAsync)
            .WithSummary("Finish a passkey sign-in with the flowId and credential.toJSON(): the tokens, with no two-factor step")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        var passkeys = api.MapGroup("/users/me/passkeys")
            .WithTags("Users")
            .RequireAuthorization()
            .ProducesProblem(StatusCodes.Status401Unauthorized);
        passkeys.MapGet("", ListAsync)
            .WithSummary("The caller's passkeys");
        passkeys.MapPost("/options", BeginRegistrationAsync)
            .RequireRateLimiting(RateLimiting.CredentialsPolicy)
            .WithSummary("Start adding a passkey (the password again): options for navigator.credentials.create (parseCreationOptionsFromJSON)")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        passkeys.MapPost("", AddAsync)
            .WithSummary("Finish adding a passkey with the flowId, a name and credential.toJSON()")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        passkeys.MapDelete("/{id:guid}", RemoveAsync)
            .RequireRateLimiting(RateLimiting.CredentialsPolicy)
            .WithSummary("Remove a passkey (the password again); it can no longer sign in")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
    }

    private static async Task<Ok<PasskeyOptionsResponse>> BeginSignInAsync(PasskeyLogin login, HttpContext httpContext, CancellationToken cancellationToken)
    {
        httpContext.Response.PreventCaching();
        return TypedResults.Ok(await login.BeginAsync(cancellationToken));
    }

    private static async Task<Results<Ok<TokenResponse>, ValidationProblem, ProblemHttpResult>> SignInAsync(
        PasskeySignInRequest request, PasskeyLogin login, HttpContext httpContext, CancellationToken cancellationToken)
    {
        if (request.Validate() is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var tokens = await login.CompleteAsync(request.FlowId!, request.Credential!, cancellationToken);
        if (tokens is null)
        {
            // One answer for an unknown passkey, a failed check, a spent flow and an account that may not sign in.
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "The passkey could not sign you in.");
        }

        httpContext.Response.PreventCaching();
        return TypedResults.Ok(tokens);
    }

    private static async Task<Ok<List<PasskeyResponse>>> ListAsync(CurrentUser currentUser, PasskeyService passkeys, CancellationToken cancellationToken) =>
        TypedResults.Ok(await passkeys.ListAsync(currentUser.Id, cancellationToken));

    private static async Task<Results<Ok<PasskeyOptionsResponse>, ValidationProblem, ProblemHttpResult>> BeginRegistrationAsync(
        PasskeyOptionsRequest request, CurrentUser currentUser, PasskeyService passkeys, HttpContext httpContext, CancellationToken cancellationToken)
    {
        if (request.Validate() is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var result = await passkeys.BeginRegistrationAsync(currentUser.Id, request.Password!, cancellationToken);
        if (Refusal(result, httpContext) is { } refused)
        {
            if (refused.Validation is { } validation)
            {
                return validation;
            }

            return refused.Problem!;
        }

        httpContext.Response.PreventCaching();
        return TypedResults.Ok(result.Value!);
    }

    private static async Task<Results<Created<PasskeyResponse>, ValidationProblem, ProblemHttpResult>> AddAsync(
        AddPasskeyRequest request, CurrentUser currentUser, PasskeyService passkeys, HttpContext httpContext, CancellationToken cancellationToken)
    {
        if (request.Validate() is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var result = await passkeys.CompleteRegistrationAsync(currentUser.Id, request.FlowId!, request.Name!, request.Credential!, cancellationToken);
        if (Refusal(result, httpContext) is { } refused)
        {
            if (refused.Validation is { } validation)
            {
                return validation;
            }

            return refused.Problem!;
        }

        return TypedResults.Created($"/api/v1/users/me/passkeys/{result.Value!.Id}", result.Value);
    }

    private static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> RemoveAsync(
        Guid id, [FromBody] RemovePasskeyRequest request, CurrentUser currentUser, PasskeyService passkeys, HttpContext httpContext, CancellationToken cancellationToken)
    {
        if (request.Validate() is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var result = await passkeys.RemoveAsync(currentUser.Id, id, request.Password!, cancellationToken);
        if (Refusal(result, httpContext) is { } refused)
        {
            if (refused.Validation is { } validation)
            {
                return validation;
            }

            return refused.Problem!;
        }

        return result.NotFound
            ? TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "You have no passkey with this id.")
            : TypedResults.NoContent();
    }

    /// <summary>The answer to a refused request: a field's problem, or the account's throttle with its wait; null when it was not refused.</summary>
    private static Refused? Refusal<T>(PasskeyResult<T> result, HttpContext httpContext)
        where T : class
    {
        if (result.RetryAfter is { } retryAfter)
        {
            httpContext.Response.Headers.RetryAfter = Math.Ceiling(retryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
            return new Refused(null, ApiProblems.TooManyWrongCodes());
        }

        return result.Refusal is { } refusal
            ? new Refused(TypedResults.ValidationProblem(new Dictionary<string, string[]> { [refusal.Field] = [refusal.Message] }), null)
            : null;
    }

    private sealed record Refused(ValidationProblem? Validation, ProblemHttpResult? Problem);
}
