using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Contoso.Orders.Api.Users;

public static class UserCacheRegistration
{
    /// <summary>The per-request user check from memory, kept true on every replica by the database's announcements.</summary>
    public static IServiceCollection AddUserCache(this IServiceCollection services)
    {
        services.AddSingleton<UserCache>();
        services.AddSingleton<UserCacheCommits>();
        services.AddSingleton<IInterceptor>(serviceProvider => serviceProvider.GetRequiredService<UserCacheCommits>());
        services.AddHostedService<UserChangeListener>();
        return services;
    }
}
