using Contoso.Orders.Api.Data;
using Contoso.Orders.Api.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Contoso.Orders.Api.Tests;

[Collection(ApiCollection.Name)]
public sealed class MigrationTests(ApiFactory api)
{
    [Fact]
    public async Task The_model_has_no_changes_missing_from_the_migrations()
    {
        await using var scope = api.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();

        Assert.False(db.Database.HasPendingModelChanges(),
            "The EF model differs from the last migration: run `dotnet ef migrations add <Name>` in the API project.");
    }

    [Fact]
    public async Task The_migrations_apply_to_an_empty_database()
    {
        await using var empty = await TestDatabase.CreateAsync();
        await using var db = empty.CreateDbContext();

        await db.Database.MigrateAsync();

        Assert.Equal(db.Database.GetMigrations(), await db.Database.GetAppliedMigrationsAsync());
        Assert.Equal(0, await db.Users.CountAsync());
        Assert.Contains("users", await TableNamesAsync(empty.ConnectionString));
    }

    private static async Task<List<string>> TableNamesAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var names = new List<string>();
        while (await reader.ReadAsync())
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }
}
