using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;

namespace Contoso.Orders.Api.Data;

/// <summary>
/// A round of background work that every replica schedules but only one does: the round runs in a transaction that
/// holds a PostgreSQL advisory lock named after the work, so a replica that finds the lock taken skips that round.
/// The lock ends with the transaction, so a replica that dies holding it holds it no longer.
/// </summary>
public static class SingleReplicaRound
{
    /// <summary>The advisory lock key of the named work: stable across replicas and versions.</summary>
    public static long LockKey(string work) => BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes(work)));

    /// <summary>
    /// Runs <paramref name="round"/> if no other replica runs the named work now, and returns its result; null when
    /// skipped. It is not cancellable on purpose: a round that started finishes, and a host that stops waits for it.
    /// </summary>
    public static async Task<int?> TryRunAsync(this AppDbContext db, string work, Func<Task<int>> round)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(CancellationToken.None);
        var locked = await db.Database.SqlQuery<bool>($"SELECT pg_try_advisory_xact_lock({LockKey(work)}) AS \"Value\"").ToListAsync(CancellationToken.None);
        if (locked is not [true])
        {
            return null;
        }

        var result = await round();
        await transaction.CommitAsync(CancellationToken.None);
        return result;
    }
}
