using Microsoft.Extensions.Options;

namespace Contoso.Orders.Api.RefreshTokens;

/// <summary>Prunes expired and revoked refresh tokens on a timer, so that the table does not grow forever.</summary>
public sealed class RefreshTokenCleanup(IServiceScopeFactory scopes, IOptions<RefreshTokenSettings> settings, ILogger<RefreshTokenCleanup> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(settings.Value.CleanupInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var deleted = await scope.ServiceProvider.GetRequiredService<RefreshTokenStore>().PruneAsync(stoppingToken);
                if (deleted > 0)
                {
                    logger.LogInformation("Pruned {Count} expired or revoked refresh tokens", deleted);
                }
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // The next tick tries again; a database outage must not stop the app.
                logger.LogWarning(exception, "Pruning refresh tokens failed");
            }
        }
    }
}
