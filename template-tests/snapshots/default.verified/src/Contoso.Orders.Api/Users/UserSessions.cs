namespace Contoso.Orders.Api.Users;

/// <summary>
/// A place that keeps sessions of a user, such as long-lived tokens a feature issues. Features that keep sessions
/// register themselves as one, and <see cref="UserSessions"/> ends them all without knowing which features there are.
/// </summary>
public interface IUserSessionStore
{
    Task EndAllAsync(Guid userId, CancellationToken cancellationToken);

    /// <summary>
    /// The ids of the user's sessions that ended one by one while access tokens issued in them may still be unexpired
    /// (an access token names its session in the <c>sid</c> claim).
    /// </summary>
    Task<IReadOnlyCollection<Guid>> EndedSessionsAsync(Guid userId, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyCollection<Guid>>([]);

    /// <summary>
    /// Ends every session of the user but <paramref name="kept"/> (the caller's). A store that cannot tell one session
    /// from another ends them all, the kept one too.
    /// </summary>
    Task EndAllButAsync(Guid userId, Guid? kept, CancellationToken cancellationToken) => EndAllAsync(userId, cancellationToken);
}

/// <summary>
/// The one place that ends the sessions of a user: a password change or reset, a deactivation, a logout everywhere,
/// or one session ended. Runs on the caller's <see cref="Data.AppDbContext"/>, so it joins the caller's transaction when
/// there is one.
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

    /// <summary>Every session of the user ends but the caller's, where sessions are kept (see <see cref="IUserSessionStore.EndAllButAsync"/>).</summary>
    public async Task EndAllButAsync(Guid userId, Guid? kept, CancellationToken cancellationToken)
    {
        foreach (var store in stores)
        {
            await store.EndAllButAsync(userId, kept, cancellationToken);
        }
    }

    public async Task<IReadOnlySet<Guid>> EndedSessionsAsync(Guid userId, CancellationToken cancellationToken)
    {
        var ended = new HashSet<Guid>();
        foreach (var store in stores)
        {
            ended.UnionWith(await store.EndedSessionsAsync(userId, cancellationToken));
        }

        return ended;
    }
}
