using Contoso.Orders.Api.Domain;

namespace Contoso.Orders.Api.Security;

/// <summary>
/// The user behind the request's access token, loaded once per request while the token is validated, so that a
/// deactivated or deleted user's tokens stop working at once and handlers need no second query.
/// </summary>
public sealed class CurrentUser
{
    private User? _user;

    public User User => _user ?? throw new InvalidOperationException("The request has no authenticated user.");

    public Guid Id => User.Id;

    internal void Set(User user) => _user = user;
}
