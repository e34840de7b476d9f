namespace Contoso.Orders.Api.Users;

/// <summary>
/// A place that keeps sessions of a user, such as long-lived tokens a feature issues. Features that keep sessions
/// register themselves as one, and <see cref="UserSessions"/> ends them all without knowing which features there are.
/// </summary>
public interface IUserSessionStore
{
    Task EndAllAsync(Guid userId, CancellationToken cancellationToken);
}

/// <summary>
/// The one place that ends every session of a user: a password change or reset, a deactivation, a logout everywhere.
/// Runs on the caller's <see cref="Data.AppDbContext"/>, so it joins the caller's transaction when there is one.
/// </summary>
public sealed class UserSessions(IEnumerable<IUserSessionStore> stores)
{
    public async Task EndAllAsync(Guid userId, CancellationToken cancellationToken)
    {
        foreach (var store in stores)
        {
            await store.EndAllAsync(userId, cancellationToken);
        }
    }
}
