using Contoso.Orders.Api.Data;
using Microsoft.Extensions.Options;

namespace Contoso.Orders.Api.RefreshTokens;

/// <summary>Prunes expired and revoked refresh tokens, every <c>RefreshTokens:CleanupInterval</c>.</summary>
public sealed class RefreshTokenCleanup(IServiceScopeFactory scopes, IOptions<RefreshTokenSettings> settings, ILogger<RefreshTokenCleanup> logger)
    : PeriodicPruning(scopes, logger)
{
    /// <summary>The name of the pruning round's advisory lock.</summary>
    public const string PruningWork = "refresh token pruning";

    protected override TimeSpan Interval => settings.Value.CleanupInterval;

    protected override string Work => PruningWork;

    protected override string What => "expired or revoked refresh tokens";

    protected override Task<int> PruneAsync(IServiceProvider services) => services.GetRequiredService<RefreshTokenStore>().PruneAsync(CancellationToken.None);
}
