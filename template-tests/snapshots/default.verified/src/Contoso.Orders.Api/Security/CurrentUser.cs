using Contoso.Orders.Api.Users;

namespace Contoso.Orders.Api.Security;

/// <summary>
/// The user behind the request's access token, checked once per request while the token is validated (from
/// <see cref="UserCache"/> or the database), so that a deactivated or deleted user's tokens stop working and handlers
/// need no second query. A shared snapshot: handlers that change the user load the row.
/// </summary>
public sealed class CurrentUser
{
    private UserSnapshot? _user;

    public UserSnapshot User => _user ?? throw new InvalidOperationException("The request has no authenticated user.");

    public Guid Id => User.Id;

    internal void Set(UserSnapshot user) => _user = user;
}
