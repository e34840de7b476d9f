using System.Globalization;
using Contoso.Orders.Api.Auth;
using Contoso.Orders.Api.Configuration;
using Contoso.Orders.Api.Hosting;
using Contoso.Orders.Api.Security;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Contoso.Orders.Api.ExternalLogins;

public static class ExternalLoginsApi
{
    /// <summary>Where a provider sends the browser back, under the API's public base URL (<c>Jwt:Issuer</c>).</summary>
    public static string CallbackPath(string provider) => $"/api/v1/auth/external/{provider}/callback";

    public static IServiceCollection AddExternalLogins(this IServiceCollection services)
    {
        services.AddSettings<ExternalLoginSettings, ExternalLoginSettingsValidator>(ExternalLoginSettings.Section);
        services.AddSingleton<OpenIdProviders>();
        services.AddScoped<ExternalLoginFlows>();
        services.AddScoped<ExternalLoginMail>();
        services.AddScoped<ExternalSignIn>();
        services.AddScoped<ExternalLoginService>();
        services.AddHostedService<ExternalLoginFlowPruning>();
        return services;
    }

    public static void MapExternalLoginEndpoints(this IEndpointRouteBuilder api)
    {
        var signIn = api.MapGroup("/auth/external")
            .WithTags("Auth")
            .AllowAnonymous();
        signIn.MapGet("", ListProviders)
            .WithSummary("The OpenID Connect providers people may sign in with");
        signIn.MapGet("/{provider}/start", StartAsync)
            .RequireRateLimiting(RateLimiting.CredentialsPolicy)
            .WithSummary("Send the browser here to sign in with the provider; it returns to returnUrl with a one-time code (or an error) in the fragment")
            .Produces(StatusCodes.Status302Found)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        signIn.MapGet("/{provider}/callback", CallbackAsync)
            .RequireRateLimiting(RateLimiting.CredentialsPolicy)
            .WithSummary("The provider sends the browser back here (the redirect URI to register with the provider)")
            .Produces(StatusCodes.Status302Found)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        signIn.MapPost("/exchange", ExchangeAsync)
            .RequireRateLimiting(RateLimiting.CredentialsPolicy)
            .WithSummary("Exchange the one-time code from the return URL's fragment for tokens; an account with two-factor sign-in may answer 403 two-factor-required")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);

        var logins = api.MapGroup("/users/me/logins")
            .WithTags("Users")
            .RequireAuthorization()
            .ProducesProblem(StatusCodes.Status401Unauthorized);
        logins.MapGet("", ListAsync)
            .WithSummary("The providers linked to the caller's account");
        logins.MapPost("/{provider}/start", StartLinkAsync)
            .RequireRateLimiting(RateLimiting.CredentialsPolicy)
            .WithSummary("Link a provider (the password again, when the account has one): the URL to send the browser to; it returns to returnUrl#link_code=...")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        logins.MapPost("", ConfirmLinkAsync)
            .RequireRateLimiting(RateLimiting.CredentialsPolicy)
            .WithSummary("Finish linking a provider with the link_code from the return URL's fragment")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        logins.MapDelete("/{provider}", UnlinkAsync)
            .RequireRateLimiting(RateLimiting.CredentialsPolicy)
            .WithSummary("Unlink a provider (the password again, when the account has one); refused while it is the account's last way to sign in")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
    }

    private static Ok<List<ExternalProviderResponse>> ListProviders(OpenIdProviders providers) =>
        TypedResults.Ok(providers.All.Select(p => new ExternalProviderResponse(p.Name, p.DisplayName)).ToList());

    private static async Task<Results<RedirectHttpResult, ValidationProblem, ProblemHttpResult>> StartAsync(
        string provider, [FromQuery] string? returnUrl, ExternalSignIn signIn, HttpContext httpContext, CancellationToken cancellationToken)
    {
        var start = await signIn.StartAsync(provider, returnUrl, userId: null, cancellationToken);
        if (Refusal(start) is { } refused)
        {
            return refused.Validation is { } validation ? validation : refused.Problem!;
        }

        httpContext.Response.PreventCaching();
        httpContext.Response.Cookies.Append(BrowserCookie(start.FlowId), start.BrowserBinding!, new CookieOptions
        {
            HttpOnly = true,
            Secure = httpContext.Request.IsHttps,
            // Lax: sent on the provider's top-level redirect back to the callback, and on nothing cross-site besides.
            SameSite = SameSiteMode.Lax,
            Path = CallbackPath(provider),
            MaxAge = ExternalLoginSettings.FlowLifetime,
        });
        return TypedResults.Redirect(start.AuthorizationUrl!);
    }

    /// <summary>The cookie that ties a sign-in to the browser that began it: one per flow, so that two tabs do not clash.</summary>
    private static string BrowserCookie(Guid flowId) => $"external_login_{flowId:N}";

    private static async Task<Results<RedirectHttpResult, ProblemHttpResult>> CallbackAsync(
        string provider, [FromQuery] string? code, [FromQuery] string? state, [FromQuery] string? error, ExternalSignIn signIn, HttpContext httpContext,
        CancellationToken cancellationToken)
    {
        Guid? flow = null;
        var returnTo = await signIn.CompleteAsync(provider, code, state, error, flowId =>
        {
            flow = flowId;
            return httpContext.Request.Cookies[BrowserCookie(flowId)];
        }, cancellationToken);
        if (flow is { } spent)
        {
            httpContext.Response.Cookies.Delete(BrowserCookie(spent), new CookieOptions { Path = CallbackPath(provider) });
        }

        if (returnTo is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest,
                title: "This sign-in is unknown, expired or finished already: start again from the sign-in page.");
        }

        httpContext.Response.PreventCaching();
        // The callback's own URL holds the provider's code and the state: no page reached from here may be told it.
        httpContext.Response.Headers["Referrer-Policy"] = "no-referrer";
        return TypedResults.Redirect(returnTo);
    }

    private static async Task<Results<Ok<TokenResponse>, ValidationProblem, ProblemHttpResult>> ExchangeAsync(
        ExternalCodeExchangeRequest request, ExternalSignIn signIn, HttpContext httpContext, CancellationToken cancellationToken)
    {
        if (request.Validate() is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var result = await signIn.ExchangeAsync(request.Code!, cancellationToken);
        httpContext.Response.PreventCaching();
        return result.Outcome switch
        {
            LoginOutcome.Success => TypedResults.Ok(result.Tokens!),
            LoginOutcome.TwoFactorRequired => ApiProblems.TwoFactorRequired(result.Challenge!),
            _ => TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "The code is unknown, expired or used: sign in again."),
        };
    }

    private static async Task<Ok<List<ExternalLoginResponse>>> ListAsync(CurrentUser currentUser, ExternalLoginService logins, CancellationToken cancellationToken) =>
        TypedResults.Ok(await logins.ListAsync(currentUser.Id, cancellationToken));

    private static async Task<Results<Ok<ExternalAuthorizationResponse>, ValidationProblem, ProblemHttpResult>> StartLinkAsync(
        string provider, LinkExternalLoginRequest request, CurrentUser currentUser, ExternalLoginService logins, HttpContext httpContext,
        CancellationToken cancellationToken)
    {
        var (start, retryAfter) = await logins.BeginLinkAsync(currentUser.Id, provider, request.Password, request.ReturnUrl, cancellationToken);
        if (retryAfter is { } wait)
        {
            return Throttled(httpContext, wait);
        }

        if (Refusal(start!) is { } refused)
        {
            return refused.Validation is { } validation ? validation : refused.Problem!;
        }

        httpContext.Response.PreventCaching();
        return TypedResults.Ok(new ExternalAuthorizationResponse(start!.AuthorizationUrl!));
    }

    private static async Task<Results<Created<ExternalLoginResponse>, ValidationProblem, ProblemHttpResult>> ConfirmLinkAsync(
        ExternalCodeExchangeRequest request, CurrentUser currentUser, ExternalLoginService logins, CancellationToken cancellationToken)
    {
        if (request.Validate() is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var (outcome, login) = await logins.ConfirmLinkAsync(currentUser.Id, request.Code!, cancellationToken);
        return outcome switch
        {
            LinkOutcome.Linked => TypedResults.Created($"/api/v1/users/me/logins/{login!.Provider}", login),
            LinkOutcome.UnknownCode => TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["code"] = ["The code is unknown, expired, used or not for your account: link again."],
            }),
            _ => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict,
                title: "This provider account is linked to an account already, or yours is linked to another account at this provider."),
        };
    }

    private static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> UnlinkAsync(
        string provider, [FromBody] UnlinkExternalLoginRequest request, CurrentUser currentUser, ExternalLoginService logins, HttpContext httpContext,
        CancellationToken cancellationToken)
    {
        var result = await logins.UnlinkAsync(currentUser.Id, provider, request.Password, cancellationToken);
        return result.Outcome switch
        {
            UnlinkOutcome.Unlinked => TypedResults.NoContent(),
            UnlinkOutcome.Throttled => Throttled(httpContext, result.RetryAfter!.Value),
            UnlinkOutcome.WrongPassword => TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["password"] = [result.Refusal!] }),
            UnlinkOutcome.NotFound => TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No provider of this name is linked to your account."),
            _ => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict,
                title: "This is your account's last way to sign in: set a password (forgot-password) or add a passkey or another provider first."),
        };
    }

    /// <summary>The answer to a refused start: a field's problem, or the provider out of reach; null when it was not refused.</summary>
    private static Refused? Refusal(ExternalLoginStart start)
    {
        if (start.ProviderUnavailable)
        {
            return new Refused(null, TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable,
                title: "The provider cannot be reached at the moment: try again shortly."));
        }

        return start.Problems is { } problems ? new Refused(TypedResults.ValidationProblem(problems), null) : null;
    }

    private static ProblemHttpResult Throttled(HttpContext httpContext, TimeSpan retryAfter)
    {
        httpContext.Response.Headers.RetryAfter = Math.Ceiling(retryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        return ApiProblems.TooManyWrongCodes();
    }

    private sealed record Refused(ValidationProblem? Validation, ProblemHttpResult? Problem);
}
