using Contoso.Orders.Api.Data;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Contoso.Orders.Api.Hosting;

public static class MigrateCommand
{
    public static async Task<int> RunAsync(IServiceProvider services)
    {
        await using var scope = services.CreateAsyncScope();
        var logger = scope.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(MigrateCommand));
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        try
        {
            var pending = (await db.Database.GetPendingMigrationsAsync()).ToList();
            await db.Database.MigrateAsync();
            logger.LogInformation("Database is up to date; {Count} migration(s) applied", pending.Count);
            foreach (var seed in scope.ServiceProvider.GetServices<IDatabaseSeed>())
            {
                await seed.EnsureAsync(CancellationToken.None);
            }

            return 0;
        }
        catch (Exception exception) when (exception is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            // Npgsql's messages name the host and the failure, never the password.
            await Console.Error.WriteLineAsync($"Migration failed: {exception.Message}");
            return 1;
        }
    }
}
