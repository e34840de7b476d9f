using my_api.Api.Users;

namespace my_api.Api.Security;

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

    /// <summary>The session the token was issued in (its <c>sid</c>), where sessions are kept.</summary>
    public Guid? SessionId { get; private set; }

    internal void Set(UserSnapshot user, Guid? sessionId)
    {
        _user = user;
        SessionId = sessionId;
    }
}
