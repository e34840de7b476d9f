using Contoso.Orders.Api.Configuration;
using Contoso.Orders.Api.Hosting;
using Contoso.Orders.Api.Passwords;
using Contoso.Orders.Api.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Contoso.Orders.Api.Account;

/// <summary>
/// The account email flows: confirming the address, resetting a forgotten password, changing the address. Every
/// request that names an address answers the same whether or not an account has it.
/// </summary>
public static class AccountApi
{
    public static IServiceCollection AddAccountFeature(this IServiceCollection services)
    {
        services.AddSettings<AccountSettings, AccountSettingsValidator>(AuthSettings.Section);
        services.AddScoped<AccountTokenStore>();
        services.AddScoped<AccountMail>();
        services.AddScoped<AccountService>();
        services.AddAccountEmailPreparers();
        return services;
    }

    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder api)
    {
        var auth = api.MapGroup("/auth").WithTags("Auth").AllowAnonymous().RequireRateLimiting(RateLimiting.CredentialsPolicy);

        auth.MapPost("/confirm-email", ConfirmEmailAsync)
            .WithSummary("Confirm the address (or, for an email change, move the account to the new one) with the token from the email")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);

        auth.MapPost("/resend-confirmation", ResendConfirmationAsync)
            .WithSummary("Send a new confirmation email; the answer is the same whether or not the address has an account")
            .ProducesProblem(StatusCodes.Status429TooManyRequests);

        auth.MapPost("/forgot-password", ForgotPasswordAsync)
            .WithSummary("Send a password reset email; the answer is the same whether or not the address has an account")
            .ProducesProblem(StatusCodes.Status429TooManyRequests);

        auth.MapPost("/reset-password", ResetPasswordAsync)
            .WithSummary("Set a new password with the token from the reset email; every session ends, and it does not log in")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);

        api.MapGroup("/users").WithTags("Users").RequireAuthorization()
            .MapPut("/me/email", ChangeEmailAsync)
            .RequireRateLimiting(RateLimiting.CredentialsPolicy)
            .WithSummary("Ask to change the authenticated user's address; it changes once the new address confirms it")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);

        return api;
    }

    private static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> ConfirmEmailAsync(
        ConfirmEmailRequest request, AccountService account, CancellationToken cancellationToken)
    {
        if (request.Validate() is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        return await account.ConfirmEmailAsync(request.Token!, cancellationToken) ? TypedResults.NoContent() : InvalidToken();
    }

    private static async Task<Results<Accepted<AcceptedResponse>, ValidationProblem>> ResendConfirmationAsync(
        EmailRequest request, AccountService account, CancellationToken cancellationToken)
    {
        if (request.Validate() is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        await account.ResendConfirmationAsync(request.Email!, cancellationToken);
        return TypedResults.Accepted((string?)null, AcceptedResponse.Confirmation);
    }

    private static async Task<Results<Accepted<AcceptedResponse>, ValidationProblem>> ForgotPasswordAsync(
        EmailRequest request, AccountService account, CancellationToken cancellationToken)
    {
        if (request.Validate() is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        await account.ForgotPasswordAsync(request.Email!, cancellationToken);
        return TypedResults.Accepted((string?)null, AcceptedResponse.PasswordReset);
    }

    private static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> ResetPasswordAsync(
        ResetPasswordRequest request, PasswordPolicy passwords, AccountService account, CancellationToken cancellationToken)
    {
        if (await request.ValidateAsync(passwords, cancellationToken) is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        return await account.ResetPasswordAsync(request.Token!, request.NewPassword!, cancellationToken) switch
        {
            { TokenAccepted: false } => InvalidToken(),
            { PasswordProblem: { } problem } => TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["newPassword"] = [problem] }),
            _ => TypedResults.NoContent(),
        };
    }

    private static async Task<Results<Accepted<AcceptedResponse>, ValidationProblem>> ChangeEmailAsync(
        ChangeEmailRequest request, CurrentUser currentUser, AccountService account, CancellationToken cancellationToken)
    {
        if (request.Validate() is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        if (Domain.EmailAddress.Normalize(request.NewEmail!) == currentUser.User.NormalizedEmail)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["newEmail"] = ["New email is the account's address already."] });
        }

        return await account.RequestEmailChangeAsync(currentUser.Id, request.NewEmail!, request.Password!, cancellationToken)
            ? TypedResults.Accepted((string?)null, AcceptedResponse.EmailChange)
            : TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["password"] = ["Password is incorrect."] });
    }

    /// <summary>The one answer for a token that is unknown, expired, used, superseded, malformed or of another purpose.</summary>
    private static ProblemHttpResult InvalidToken() =>
        TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "The token is invalid or has expired.");
}
