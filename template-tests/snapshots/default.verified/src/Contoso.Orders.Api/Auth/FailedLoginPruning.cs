using Contoso.Orders.Api.Configuration;
using Contoso.Orders.Api.Data;
using Microsoft.Extensions.Options;

namespace Contoso.Orders.Api.Auth;

/// <summary>Deletes failed-login counts whose window lapsed, once per window.</summary>
public sealed class FailedLoginPruning(IServiceScopeFactory scopes, IOptions<AuthSettings> settings, ILogger<FailedLoginPruning> logger)
    : PeriodicPruning(scopes, logger)
{
    protected override TimeSpan Interval => settings.Value.FailedLoginWindow;

    protected override string Work => LoginThrottle.PruningWork;

    protected override string What => "lapsed failed-login counts";

    protected override Task<int> PruneAsync(IServiceProvider services) => services.GetRequiredService<LoginThrottle>().PruneAsync();
}
