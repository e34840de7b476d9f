using Contoso.Orders.Api.Data;
using Contoso.Orders.Api.Domain;
using Microsoft.EntityFrameworkCore;

namespace Contoso.Orders.Api.Users;

/// <summary>
/// Evicts the users this replica changes itself, without waiting for the database's announcement: at once, and again
/// when the change commits, because a request may read the old row between the two and keep it. So a client whose
/// password change, say, was answered here is never served the old row here afterwards. Changes saved through the
/// change tracker are found by themselves; bulk updates name their users with <see cref="EvictOnCommit"/>.
/// </summary>
public sealed class UserCacheCommits(UserCache cache) : CommitInterceptor<Guid>
{
    /// <summary>For a change made outside the change tracker, after it ran on <paramref name="db"/>.</summary>
    public void EvictOnCommit(DbContext db, Guid userId)
    {
        cache.Evict(userId);
        CollectOnCommit(db, userId);
    }

    /// <summary>
    /// For a change to what the cached user stands for that is not a change to the user's row (one session ended, say):
    /// announces it as the row's trigger would, when the transaction on <paramref name="db"/> commits, so that every
    /// replica drops its copy.
    /// </summary>
    public async Task AnnounceChangeAsync(DbContext db, Guid userId, CancellationToken cancellationToken)
    {
        await db.Database.ExecuteSqlAsync($"SELECT pg_notify({UserChangeListener.Channel}, {userId.ToString()})", cancellationToken);
        EvictOnCommit(db, userId);
    }

    protected override void Collect(DbContext context, ISet<Guid> items)
    {
        foreach (var entry in context.ChangeTracker.Entries<User>())
        {
            if (entry.State is EntityState.Modified or EntityState.Deleted)
            {
                cache.Evict(entry.Entity.Id);
                items.Add(entry.Entity.Id);
            }
        }
    }

    protected override void Committed(IReadOnlyCollection<Guid> items) => Evict(items);

    // On a rollback nothing changed, but evicting costs one read: simpler than telling the cases apart.
    protected override void RolledBack(IReadOnlyCollection<Guid> items) => Evict(items);

    private void Evict(IReadOnlyCollection<Guid> userIds)
    {
        foreach (var userId in userIds)
        {
            cache.Evict(userId);
        }
    }
}
