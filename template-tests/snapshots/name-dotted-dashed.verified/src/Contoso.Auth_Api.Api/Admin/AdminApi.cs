using Contoso.Auth_Api.Api.Configuration;
using Contoso.Auth_Api.Api.Data;
using Contoso.Auth_Api.Api.Security;
using Contoso.Auth_Api.Api.TwoFactor;
using Contoso.Auth_Api.Api.Users;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Contoso.Auth_Api.Api.Admin;

public static class AdminApi
{
    public static IServiceCollection AddAdministration(this IServiceCollection services)
    {
        services.AddSettings<AdminSettings, AdminSettingsValidator>(AdminSettings.Section);
        services.AddSingleton<IAccessTokenClaims, RoleClaim>();
        services.PostConfigure<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme,
            options => options.TokenValidationParameters.RoleClaimType = Roles.ClaimType);
        services.AddAuthorizationBuilder().AddPolicy(Policies.AdminOnly, policy => policy.RequireAuthenticatedUser().RequireRole(Roles.Admin));
        services.AddScoped<AdminService>();
        services.AddScoped<IAccountDeletionGuard, LastAdminGuard>();
        services.AddScoped<FirstAdmin>();
        services.AddScoped<IDatabaseSeed>(serviceProvider => serviceProvider.GetRequiredService<FirstAdmin>());
        services.AddHostedService<FirstAdminAtStartup>();
        return services;
    }

    public static RouteGroupBuilder MapAdminEndpoints(this IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("/admin/users")
            .WithTags("Admin")
            .RequireAuthorization(Policies.AdminOnly)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);

        group.MapGet("/", ListAsync).WithSummary("Users, oldest first, one page at a time");
        group.MapGet("/{id:guid}", GetAsync).WithSummary("One user").ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPut("/{id:guid}/role", SetRoleAsync)
            .WithSummary("Change a user's role; it takes effect in the user's next access token")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPut("/{id:guid}/status", SetStatusAsync)
            .WithSummary("Activate or deactivate a user; deactivation ends its sessions at once")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        group.MapDelete("/{id:guid}/two-factor", ResetTwoFactorAsync)
            .WithSummary("Turn a user's two-factor sign-in off (a lost phone): the user's sessions end and the user gets a notice")
            .ProducesProblem(StatusCodes.Status404NotFound);

        return group;
    }

    private static async Task<Results<Ok<UserPage>, ValidationProblem>> ListAsync(
        AdminService admin, CancellationToken cancellationToken, int page = 1, int pageSize = 20)
    {
        if (Paging.Validate(page, pageSize) is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        return TypedResults.Ok(await admin.ListAsync(page, pageSize, cancellationToken));
    }

    private static async Task<Results<Ok<UserResponse>, ProblemHttpResult>> GetAsync(Guid id, AdminService admin, CancellationToken cancellationToken) =>
        await admin.FindAsync(id, cancellationToken) is { } user ? TypedResults.Ok(UserResponse.From(user)) : UserNotFound();

    private static async Task<Results<Ok<UserResponse>, ValidationProblem, ProblemHttpResult>> SetRoleAsync(
        Guid id, SetRoleRequest request, CurrentUser currentUser, AdminService admin, CancellationToken cancellationToken)
    {
        if (request.Validate() is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        if (id == currentUser.Id)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "You cannot change your own role.");
        }

        return Outcome(await admin.SetRoleAsync(id, request.Role!, cancellationToken));
    }

    private static async Task<Results<Ok<UserResponse>, ValidationProblem, ProblemHttpResult>> SetStatusAsync(
        Guid id, SetStatusRequest request, AdminService admin, CancellationToken cancellationToken)
    {
        if (request.Validate() is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        return Outcome(await admin.SetActiveAsync(id, request.IsActive!.Value, cancellationToken));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> ResetTwoFactorAsync(
        Guid id, CurrentUser currentUser, TwoFactorService twoFactor, CancellationToken cancellationToken) =>
        await twoFactor.ResetAsync(id, currentUser.Id, cancellationToken) ? TypedResults.NoContent() : UserNotFound();

    private static Results<Ok<UserResponse>, ValidationProblem, ProblemHttpResult> Outcome((AdminChange Change, Domain.User? User) result) =>
        result.Change switch
        {
            AdminChange.Done => TypedResults.Ok(UserResponse.From(result.User!)),
            AdminChange.NotFound => UserNotFound(),
            _ => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "This would leave no active admin."),
        };

    private static ProblemHttpResult UserNotFound() =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No user has this id.");
}
