using Contoso.Orders.Api.Data;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Contoso.Orders.Api.Tests.Infrastructure;

/// <summary>
/// A database of its own on the PostgreSQL server named by <c>TEST_POSTGRES</c>, created for a test run and dropped
/// afterwards.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    public const string ServerVariable = "TEST_POSTGRES";
    private const string DefaultServer = "Host=localhost;Port=5432;Username=postgres;Password=postgres";

    private TestDatabase(string name, string connectionString)
    {
        Name = name;
        ConnectionString = connectionString;
    }

    public string Name { get; }

    public string ConnectionString { get; }

    public static string ServerConnectionString
    {
        get
        {
            var server = Environment.GetEnvironmentVariable(ServerVariable) is { Length: > 0 } value ? value : DefaultServer;
            TestRun.RememberDatabasePassword(server);
            return server;
        }
    }

    public static async Task<TestDatabase> CreateAsync()
    {
        var name = $"contoso_orders_test_{Guid.NewGuid():N}"[..40];
        await ExecuteOnServerAsync($"CREATE DATABASE \"{name}\"");
        var connectionString = new NpgsqlConnectionStringBuilder(ServerConnectionString) { Database = name, Pooling = true }.ConnectionString;
        return new TestDatabase(name, connectionString);
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await ExecuteOnServerAsync($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)");
    }

    /// <summary>A context on this database, configured as the API configures its own.</summary>
    public AppDbContext CreateDbContext() => new(new DbContextOptionsBuilder<AppDbContext>()
        .UseNpgsql(ConnectionString)
        .UseSnakeCaseNamingConvention()
        .Options);

    /// <summary>Runs SQL against this database, for arranging states the API cannot reach by itself.</summary>
    public async Task<int> ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteNonQueryAsync();
    }

    /// <summary>Reads one value from this database.</summary>
    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    private static async Task ExecuteOnServerAsync(string sql)
    {
        var server = new NpgsqlConnectionStringBuilder(ServerConnectionString) { Database = "postgres", Pooling = false };
        try
        {
            await using var connection = new NpgsqlConnection(server.ConnectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync();
        }
        catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
        {
            throw new InvalidOperationException(
                $"The PostgreSQL test server at {server.Host}:{server.Port} (user {server.Username}) is not usable: {exception.Message} " +
                $"Set {ServerVariable} to the connection string of a server whose user may create databases, " +
                "for example Host=localhost;Port=5432;Username=postgres;Password=postgres.",
                exception);
        }
    }
}
