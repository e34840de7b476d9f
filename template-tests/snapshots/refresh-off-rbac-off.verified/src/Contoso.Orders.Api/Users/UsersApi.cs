using Contoso.Orders.Api.Hosting;
using Contoso.Orders.Api.Passwords;
using Contoso.Orders.Api.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Contoso.Orders.Api.Users;

public static class UsersApi
{
    public static IServiceCollection AddUsersFeature(this IServiceCollection services) =>
        services.AddScoped<UserService>().AddScoped<UserSessions>();

    public static RouteGroupBuilder MapUserEndpoints(this IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("/users").WithTags("Users").RequireAuthorization();

        group.MapGet("/me", GetMe)
            .WithSummary("The authenticated user")
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        group.MapPut("/me/password", ChangePasswordAsync)
            .RequireRateLimiting(RateLimiting.CredentialsPolicy)
            .WithSummary("Change the authenticated user's password")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);

        return group;
    }

    private static Ok<UserResponse> GetMe(CurrentUser currentUser) => TypedResults.Ok(UserResponse.From(currentUser.User));

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
}
