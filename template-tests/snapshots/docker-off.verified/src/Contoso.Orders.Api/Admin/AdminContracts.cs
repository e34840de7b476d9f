using Contoso.Orders.Api.Auth;
using Contoso.Orders.Api.Users;

namespace Contoso.Orders.Api.Admin;

public sealed record UserPage(IReadOnlyList<UserResponse> Items, int Page, int PageSize, int Total);

public sealed record SetRoleRequest(string? Role)
{
    public Dictionary<string, string[]> Validate() => ValidationErrors.Of(
        ("role", Roles.IsKnown(Role) ? null : $"Role must be one of: {string.Join(", ", Roles.All)}."));
}

public sealed record SetStatusRequest(bool? IsActive)
{
    public Dictionary<string, string[]> Validate() => ValidationErrors.Of(
        ("isActive", IsActive is null ? "isActive is required." : null));
}

public static class Paging
{
    public const int MaxPageSize = 100;

    public static Dictionary<string, string[]> Validate(int page, int pageSize) => ValidationErrors.Of(
        ("page", page < 1 ? "page must be at least 1." : null),
        ("pageSize", pageSize is < 1 or > MaxPageSize ? $"pageSize must be between 1 and {MaxPageSize}." : null));
}
