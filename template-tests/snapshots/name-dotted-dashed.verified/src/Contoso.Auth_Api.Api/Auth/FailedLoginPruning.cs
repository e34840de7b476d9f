using Contoso.Auth_Api.Api.Configuration;
using Microsoft.Extensions.Options;

namespace Contoso.Auth_Api.Api.Auth;

/// <summary>
/// Deletes failed-login counts whose window lapsed, once per window. Every replica runs it; in each round one of
/// them prunes and the others skip (see <see cref="Data.SingleReplicaRound"/>).
/// </summary>
public sealed class FailedLoginPruning(IServiceScopeFactory scopes, IOptions<AuthSettings> settings, ILogger<FailedLoginPruning> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(settings.Value.FailedLoginWindow);
        // Stopping ends the wait between rounds; a round under way finishes first.
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var pruned = await scope.ServiceProvider.GetRequiredService<LoginThrottle>().PruneAsync();
                if (pruned is null)
                {
                    logger.LogDebug("Another replica is pruning failed-login counts; this one skips the round");
                }
                else if (pruned > 0)
                {
                    logger.LogInformation("Pruned {Count} lapsed failed-login counts", pruned);
                }
            }
            catch (Exception exception)
            {
                // The next round tries again; a database outage must not stop the app.
                logger.LogWarning(exception, "Pruning failed-login counts failed");
            }
        }
    }
}
