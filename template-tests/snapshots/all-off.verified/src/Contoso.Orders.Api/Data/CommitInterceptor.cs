using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Contoso.Orders.Api.Data;

/// <summary>
/// Acts on what a context saved only once it is committed: items are collected when changes are saved (or named with
/// <see cref="CollectOnCommit"/> for a change made outside the change tracker), handed to <see cref="Committed"/> when
/// the transaction commits, or at once when the save had no transaction of the caller's making, and to
/// <see cref="RolledBack"/> when it rolls back. An action before the commit could be seen by another request, or
/// another process, before the row it is about.
/// </summary>
public abstract class CommitInterceptor<T> : ISaveChangesInterceptor, IDbTransactionInterceptor
{
    private readonly ConditionalWeakTable<DbContext, HashSet<T>> _pending = [];

    /// <summary>Adds what the context is about to save to <paramref name="items"/>.</summary>
    protected abstract void Collect(DbContext context, ISet<T> items);

    protected abstract void Committed(IReadOnlyCollection<T> items);

    protected virtual void RolledBack(IReadOnlyCollection<T> items)
    {
    }

    /// <summary>For a change made outside the change tracker, after it ran on <paramref name="context"/>.</summary>
    protected void CollectOnCommit(DbContext context, T item)
    {
        if (context.Database.CurrentTransaction is null)
        {
            Committed([item]);
            return;
        }

        lock (_pending)
        {
            _pending.GetOrCreateValue(context).Add(item);
        }
    }

    public ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Collect(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        Collect(eventData.Context);
        return result;
    }

    public ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        EndIfCommitted(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        EndIfCommitted(eventData.Context);
        return result;
    }

    public Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        End(eventData.Context, committed: true);
        return Task.CompletedTask;
    }

    public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => End(eventData.Context, committed: true);

    public Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        End(eventData.Context, committed: false);
        return Task.CompletedTask;
    }

    public void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData) => End(eventData.Context, committed: false);

    private void Collect(DbContext? context)
    {
        if (context is null)
        {
            return;
        }

        var items = new HashSet<T>();
        Collect(context, items);
        if (items.Count == 0)
        {
            return;
        }

        lock (_pending)
        {
            _pending.GetOrCreateValue(context).UnionWith(items);
        }
    }

    // A save without a transaction of the caller's making committed in its own.
    private void EndIfCommitted(DbContext? context)
    {
        if (context is not null && context.Database.CurrentTransaction is null)
        {
            End(context, committed: true);
        }
    }

    private void End(DbContext? context, bool committed)
    {
        if (context is null)
        {
            return;
        }

        HashSet<T>? items;
        lock (_pending)
        {
            if (!_pending.TryGetValue(context, out items))
            {
                return;
            }

            _pending.Remove(context);
        }

        if (committed)
        {
            Committed(items);
        }
        else
        {
            RolledBack(items);
        }
    }
}
