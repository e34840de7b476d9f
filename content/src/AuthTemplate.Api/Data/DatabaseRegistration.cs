using AuthTemplate.Api.Configuration;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AuthTemplate.Api.Data;

public static class DatabaseRegistration
{
    public static IServiceCollection AddDatabase(this IServiceCollection services)
    {
        // One data source (and so one connection pool) for the app, built lazily from the validated settings.
        services.AddSingleton(serviceProvider =>
        {
            var settings = serviceProvider.GetRequiredService<IOptions<DatabaseSettings>>().Value;
            return new NpgsqlDataSourceBuilder(settings.ResolveConnectionString(designTime: EF.IsDesignTime)).Build();
        });

        // Pooled contexts: every authenticated request queries the database, and a context from the pool costs far
        // less to hand out than a new one.
        services.AddDbContextPool<AppDbContext>((serviceProvider, options) => options
            .UseNpgsql(serviceProvider.GetRequiredService<NpgsqlDataSource>())
            .UseSnakeCaseNamingConvention());

        return services;
    }
}
