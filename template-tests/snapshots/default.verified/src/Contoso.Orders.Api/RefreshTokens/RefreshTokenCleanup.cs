using Contoso.Orders.Api.Data;
using Microsoft.Extensions.Options;

namespace Contoso.Orders.Api.RefreshTokens;

/// <summary>
/// Prunes expired and revoked refresh tokens on a timer, so that the table does not grow forever. Every replica runs
/// it; in each round one of them prunes and the others skip (see <see cref="SingleReplicaRound"/>).
/// </summary>
public sealed class RefreshTokenCleanup(IServiceScopeFactory scopes, IOptions<RefreshTokenSettings> settings, ILogger<RefreshTokenCleanup> logger)
    : BackgroundService
{
    /// <summary>The name of the pruning round's advisory lock.</summary>
    public const string PruningWork = "refresh token pruning";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(settings.Value.CleanupInterval);
        // Stopping ends the wait between rounds; a round under way finishes first.
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var store = scope.ServiceProvider.GetRequiredService<RefreshTokenStore>();
                var deleted = await scope.ServiceProvider.GetRequiredService<AppDbContext>()
                    .TryRunAsync(PruningWork, () => store.PruneAsync(CancellationToken.None));
                if (deleted is null)
                {
                    logger.LogDebug("Another replica is pruning refresh tokens; this one skips the round");
                }
                else if (deleted > 0)
                {
                    logger.LogInformation("Pruned {Count} expired or revoked refresh tokens", deleted);
                }
            }
            catch (Exception exception)
            {
                // The next round tries again; a database outage must not stop the app.
                logger.LogWarning(exception, "Pruning refresh tokens failed");
            }
        }
    }
}
