using System.Data.Common;
using System.Runtime.CompilerServices;
using Contoso.Orders.Api.Domain;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Contoso.Orders.Api.Users;

/// <summary>
/// Evicts the users this replica changes itself, without waiting for the database's announcement: at once, and again
/// when the change commits, because a request may read the old row between the two and keep it. So a client whose
/// password change, say, was answered here is never served the old row here afterwards. Changes saved through the
/// change tracker are found by themselves; bulk updates name their users with <see cref="EvictOnCommit"/>.
/// </summary>
public sealed class UserCacheCommits(UserCache cache) : ISaveChangesInterceptor, IDbTransactionInterceptor
{
    private readonly ConditionalWeakTable<DbContext, HashSet<Guid>> _changed = [];

    /// <summary>For a change made outside the change tracker, after it ran on <paramref name="db"/>.</summary>
    public void EvictOnCommit(DbContext db, Guid userId)
    {
        cache.Evict(userId);
        if (db.Database.CurrentTransaction is null)
        {
            return;
        }

        lock (_changed)
        {
            _changed.GetOrCreateValue(db).Add(userId);
        }
    }

    public ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        MarkChangedUsers(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        MarkChangedUsers(eventData.Context);
        return result;
    }

    public ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        EvictIfCommitted(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        EvictIfCommitted(eventData.Context);
        return result;
    }

    public Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Evict(eventData.Context);
        return Task.CompletedTask;
    }

    public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => Evict(eventData.Context);

    // On a rollback nothing changed, but evicting costs one read: simpler than telling the cases apart.
    public Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Evict(eventData.Context);
        return Task.CompletedTask;
    }

    public void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData) => Evict(eventData.Context);

    private void MarkChangedUsers(DbContext? context)
    {
        if (context is null)
        {
            return;
        }

        foreach (var entry in context.ChangeTracker.Entries<User>())
        {
            if (entry.State is EntityState.Modified or EntityState.Deleted)
            {
                cache.Evict(entry.Entity.Id);
                lock (_changed)
                {
                    _changed.GetOrCreateValue(context).Add(entry.Entity.Id);
                }
            }
        }
    }

    private void EvictIfCommitted(DbContext? context)
    {
        if (context is not null && context.Database.CurrentTransaction is null)
        {
            Evict(context);
        }
    }

    private void Evict(DbContext? context)
    {
        if (context is null)
        {
            return;
        }

        HashSet<Guid>? changed;
        lock (_changed)
        {
            if (!_changed.TryGetValue(context, out changed))
            {
                return;
            }

            _changed.Remove(context);
        }

        foreach (var userId in changed)
        {
            cache.Evict(userId);
        }
    }
}
