using System.Security.Claims;
using Contoso.Orders.Api.Security;

namespace Contoso.Orders.Api.Admin;

/// <summary>The roles a user can have; the access token carries one in its <c>role</c> claim.</summary>
public static class Roles
{
    /// <summary>The access token's claim that carries the role.</summary>
    public const string ClaimType = "role";

    public const string User = "user";
    public const string Admin = "admin";
    public const int MaxLength = 20;

    public static readonly IReadOnlyList<string> All = [User, Admin];

    public static bool IsKnown(string? role) => role is not null && All.Contains(role, StringComparer.Ordinal);
}

/// <summary>Named authorization policies: endpoints ask for a policy, never for a role string.</summary>
public static class Policies
{
    public const string AdminOnly = "admin-only";
}

/// <summary>Puts the user's role into every access token, where the <see cref="Roles.ClaimType"/> claim carries it.</summary>
public sealed class RoleClaim : IAccessTokenClaims
{
    public IEnumerable<Claim> For(Domain.User user) => [new Claim(Roles.ClaimType, user.Role)];
}
