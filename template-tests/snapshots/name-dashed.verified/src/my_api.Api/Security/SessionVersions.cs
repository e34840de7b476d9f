using my_api.Api.Data;
using my_api.Api.Users;
using Microsoft.EntityFrameworkCore;

namespace my_api.Api.Security;

/// <summary>
/// Ends the access tokens of a user: raises the user's session version, and the per-request user load refuses every
/// token issued under an older one. A counter rather than a time cut-off, because <c>iat</c> has one-second resolution:
/// a token issued in the same second as a password change would survive a comparison of times.
/// </summary>
public sealed class SessionVersions(AppDbContext db, UserCacheCommits cachedUsers) : IUserSessionStore
{
    /// <summary>The access token's claim that carries the user's session version.</summary>
    public const string ClaimType = "sv";

    public async Task EndAllAsync(Guid userId, CancellationToken cancellationToken)
    {
        await db.Users.Where(u => u.Id == userId)
            .ExecuteUpdateAsync(update => update.SetProperty(u => u.SessionVersion, u => u.SessionVersion + 1), cancellationToken);
        cachedUsers.EvictOnCommit(db, userId);
    }

    /// <summary>
    /// A token that names its session is ended by the store that keeps the session, one session at a time; without
    /// one, the caller's tokens cannot be told from the others, and all of them end.
    /// </summary>
    public Task EndAllButAsync(Guid userId, Guid? kept, CancellationToken cancellationToken) =>
        kept is null ? EndAllAsync(userId, cancellationToken) : Task.CompletedTask;
}
