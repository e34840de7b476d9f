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

/// <summary>
/// Deletes what has lapsed on a timer, so that a table does not grow forever. Every replica runs it; in each round
/// one of them prunes and the others skip (see <see cref="SingleReplicaRound"/>). A database outage costs a round,
/// never the app.
/// </summary>
public abstract class PeriodicPruning(IServiceScopeFactory scopes, ILogger logger) : BackgroundService
{
    /// <summary>Time between rounds.</summary>
    protected abstract TimeSpan Interval { get; }

    /// <summary>The name of the round's advisory lock: stable across replicas and versions.</summary>
    protected abstract string Work { get; }

    /// <summary>What is pruned, in the log's words ("lapsed failed-login counts").</summary>
    protected abstract string What { get; }

    /// <summary>Deletes what lapsed, inside the round's transaction; returns how many rows went.</summary>
    protected abstract Task<int> PruneAsync(IServiceProvider services);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        // Stopping ends the wait between rounds; a round under way finishes first.
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var pruned = await scope.ServiceProvider.GetRequiredService<AppDbContext>().TryRunAsync(Work, () => PruneAsync(scope.ServiceProvider));
                if (pruned is null)
                {
                    logger.LogDebug("Another replica is pruning {What}; this one skips the round", What);
                }
                else if (pruned > 0)
                {
                    logger.LogInformation("Pruned {Count} {What}", pruned, What);
                }
            }
            catch (Exception exception)
            {
                logger.LogWarning(exception, "Pruning {What} failed", What);
            }
        }
    }
}
