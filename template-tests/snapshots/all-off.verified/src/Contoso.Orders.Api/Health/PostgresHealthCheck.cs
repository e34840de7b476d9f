using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace Contoso.Orders.Api.Health;

public sealed class PostgresHealthCheck(NpgsqlDataSource dataSource) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var command = dataSource.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
        {
            // The description stays generic: the exception may name hosts or users.
            return HealthCheckResult.Unhealthy("PostgreSQL is unreachable.");
        }
    }
}
