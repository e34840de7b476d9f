using Contoso.Orders.Api.Hosting;
using Contoso.Orders.Api.Passwords;
using Contoso.Orders.Api.Security;
using Contoso.Orders.Api.TwoFactor;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Contoso.Orders.Api.Users;

public static class UsersApi
{
    public static IServiceCollection AddUsersFeature(this IServiceCollection services) =>
        services.AddScoped<UserService>().AddScoped<UserSessions>().AddScoped<AccountDeletion>();

    public static RouteGroupBuilder MapUserEndpoints(this IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("/users").WithTags("Users").RequireAuthorization();

        group.MapGet("/me", GetMeAsync)
            .WithSummary("The authenticated user")
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        group.MapPut("/me/password", ChangePasswordAsync)
            .RequireRateLimiting(RateLimiting.CredentialsPolicy)
            .WithSummary("Change the authenticated user's password")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);

        group.MapDelete("/me", DeleteAccountAsync)
            .RequireRateLimiting(RateLimiting.CredentialsPolicy)
            .WithSummary("Delete the authenticated user's account and everything that belongs to it; the password is asked again")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);

        return group;
    }

    // The recovery codes are counted, and a database context taken from the pool, only for a user with two-factor
    // sign-in: for everyone else this is the hottest authenticated request and is served from the user cache alone.
    private static async Task<Ok<UserResponse>> GetMeAsync(CurrentUser currentUser, HttpContext context, CancellationToken cancellationToken)
    {
        var user = currentUser.User;
        return TypedResults.Ok(UserResponse.From(user) with
        {
            RecoveryCodesLeft = user.TwoFactorEnabled
                ? await context.RequestServices.GetRequiredService<TwoFactorCodes>().RecoveryCodesLeftAsync(user.Id, cancellationToken)
                : null,
        });
    }

    private static async Task<Results<NoContent, ValidationProblem>> ChangePasswordAsync(
        ChangePasswordRequest request, CurrentUser currentUser, PasswordPolicy passwords, UserService users, CancellationToken cancellationToken)
    {
        if (await request.ValidateAsync(passwords, currentUser.User.Email, cancellationToken) is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var changed = await users.ChangePasswordAsync(currentUser.Id, request.CurrentPassword!, request.NewPassword!, cancellationToken);
        return changed
            ? TypedResults.NoContent()
            : TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["currentPassword"] = ["Current password is incorrect."] });
    }

    private static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> DeleteAccountAsync(
        [FromBody] DeleteAccountRequest request, CurrentUser currentUser, AccountDeletion deletion, CancellationToken cancellationToken)
    {
        if (request.Validate(currentUser.User.TwoFactorEnabled) is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var result = await deletion.DeleteAsync(currentUser.Id, request.Password!, request.Code, cancellationToken);
        return result.Outcome switch
        {
            AccountDeletionOutcome.Deleted => TypedResults.NoContent(),
            AccountDeletionOutcome.WrongPassword =>
                TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["password"] = ["Password is incorrect."] }),
            AccountDeletionOutcome.WrongCode =>
                TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["code"] = [result.Refusal!] }),
            _ => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "The account cannot be deleted.", detail: result.Refusal),
        };
    }
}
