using Contoso.Orders.Api.Auth;
using Contoso.Orders.Api.Configuration;
using Contoso.Orders.Api.Hosting;
using Contoso.Orders.Api.Security;
using Contoso.Orders.Api.Users;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Contoso.Orders.Api.RefreshTokens;

public sealed record RefreshRequest(string? RefreshToken)
{
    public Dictionary<string, string[]> Validate() => ValidationErrors.Of(
        ("refreshToken", string.IsNullOrWhiteSpace(RefreshToken) ? "Refresh token is required." : null));
}

/// <summary>One entry of <c>GET /users/me/sessions</c>.</summary>
public sealed record SessionResponse(Guid Id, DateTimeOffset CreatedAt, DateTimeOffset LastUsedAt, DateTimeOffset ExpiresAt, string? IpAddress, string? UserAgent, bool Current)
{
    public static SessionResponse From(UserSession session, Guid? current) =>
        new(session.Id, session.CreatedAt, session.LastUsedAt, session.ExpiresAt, session.IpAddress, session.UserAgent, session.Id == current);
}

public static class RefreshTokensApi
{
    public static IServiceCollection AddRefreshTokens(this IServiceCollection services)
    {
        services.AddOptions<RefreshTokenSettings>()
            .BindConfiguration(JwtSettings.Section)
            .BindConfiguration("RefreshTokens")
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<RefreshTokenSettings>, RefreshTokenSettingsValidator>();
        services.AddScoped<RefreshTokenStore>();
        services.AddScoped<IUserSessionStore>(serviceProvider => serviceProvider.GetRequiredService<RefreshTokenStore>());
        services.AddHostedService<RefreshTokenCleanup>();
        return services;
    }

    public static RouteGroupBuilder MapRefreshTokenEndpoints(this IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("/auth").WithTags("Auth");

        group.MapPost("/refresh", RefreshAsync)
            .AllowAnonymous()
            .RequireRateLimiting(RateLimiting.CredentialsPolicy)
            .WithSummary("Exchange a refresh token for new tokens; the one sent is spent")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);

        group.MapPost("/logout", LogoutAsync)
            .AllowAnonymous()
            .WithSummary("End the refresh token's session: every token rotated from the same login, and the session's access tokens");

        group.MapPost("/logout-all", LogoutAllAsync)
            .WithSummary("End every session of the authenticated user: every refresh token revoked, every access token refused")
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        var sessions = api.MapGroup("/users/me/sessions").WithTags("Users").RequireAuthorization();

        sessions.MapGet("", ListSessionsAsync)
            .WithSummary("The authenticated user's live sessions (one per login), the caller's marked current")
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        sessions.MapDelete("/{id:guid}", EndSessionAsync)
            .WithSummary("End one of the authenticated user's sessions: its refresh token and its access tokens stop working")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound);

        return group;
    }

    private static async Task<Ok<List<SessionResponse>>> ListSessionsAsync(
        CurrentUser currentUser, RefreshTokenStore store, HttpContext httpContext, CancellationToken cancellationToken)
    {
        var sessions = await store.ListSessionsAsync(currentUser.Id, cancellationToken);
        httpContext.Response.PreventCaching();
        return TypedResults.Ok(sessions.Select(session => SessionResponse.From(session, currentUser.SessionId)).ToList());
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> EndSessionAsync(
        Guid id, CurrentUser currentUser, RefreshTokenStore store, CancellationToken cancellationToken) =>
        await store.EndSessionAsync(currentUser.Id, id, cancellationToken)
            ? TypedResults.NoContent()
            // Another user's session and no session at all get the same answer.
            : TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "There is no such session.");

    private static async Task<Results<Ok<TokenResponse>, ValidationProblem, ProblemHttpResult>> RefreshAsync(
        RefreshRequest request, RefreshTokenStore store, AccessTokenService accessTokens, HttpContext httpContext,
        CancellationToken cancellationToken)
    {
        if (request.Validate() is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var rotated = await store.RotateAsync(request.RefreshToken!, cancellationToken);
        if (rotated is null)
        {
            return InvalidRefreshToken();
        }

        var access = accessTokens.Create(rotated.User, rotated.SignIn);
        httpContext.Response.PreventCaching();
        return TypedResults.Ok(new TokenResponse(access.Token, "Bearer", access.ExpiresInSeconds, rotated.Token.Token, rotated.Token.ExpiresInSeconds));
    }

    /// <summary>The same answer for an unknown, expired, revoked or spent refresh token.</summary>
    private static ProblemHttpResult InvalidRefreshToken() =>
        TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "The refresh token is invalid or expired.");

    private static async Task<Results<NoContent, ValidationProblem>> LogoutAsync(
        RefreshRequest request, RefreshTokenStore store, CancellationToken cancellationToken)
    {
        if (request.Validate() is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        await store.RevokeFamilyOfAsync(request.RefreshToken!, cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<NoContent> LogoutAllAsync(CurrentUser currentUser, UserSessions sessions, CancellationToken cancellationToken)
    {
        await sessions.EndAllAsync(currentUser.Id, cancellationToken);
        return TypedResults.NoContent();
    }
}
