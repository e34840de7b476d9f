using Contoso.Orders.Api.Configuration;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Contoso.Orders.Api.Data;

public static class DatabaseRegistration
{
    public static IServiceCollection AddDatabase(this IServiceCollection services)
    {
        // One data source (and so one connection pool) for the app, built lazily from the validated settings.
        services.AddSingleton(serviceProvider =>
        {
            var settings = serviceProvider.GetRequiredService<IOptions<DatabaseSettings>>().Value;
            return new NpgsqlDataSourceBuilder(settings.ResolveConnectionString(synchronous: EF.IsDesignTime)).Build();
        });

        // Pooled contexts: every authenticated request queries the database, and a context from the pool costs far
        // less to hand out than a new one.
        // Features that need to know what a context saves or commits register an IInterceptor (the email outbox does).
        services.AddDbContextPool<AppDbContext>((serviceProvider, options) => options
            .UseNpgsql(serviceProvider.GetRequiredService<NpgsqlDataSource>())
            .UseSnakeCaseNamingConvention()
            .AddInterceptors(serviceProvider.GetServices<IInterceptor>()));

        services.AddSingleton<DatabaseModelWarmUp>();
        services.AddHostedService(serviceProvider => serviceProvider.GetRequiredService<DatabaseModelWarmUp>());
        return services;
    }
}
