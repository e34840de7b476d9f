using AuthTemplate.Api.Auth;
using AuthTemplate.Api.Data;
using AuthTemplate.Api.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Xunit.Abstractions;

namespace AuthTemplate.Api.Tests.Replicas;

/// <summary>
/// "Several replicas": every replica runs the pruning of lapsed failed-login counts, and in each round one prunes
/// while the others skip, under an advisory lock. Two built processes on one database, pruning every second; the
/// test takes the same lock to hold both off, then lets go.
/// </summary>
[Collection(ReplicaCollection.Name)]
public sealed class FailedLoginPruningTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Rows = 50;
    private const string Skipped = "this one skips the round";
    private const string Pruned = "Pruned ";

    private TestDatabase _database = null!;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync();
        await using var db = _database.CreateDbContext();
        await db.Database.MigrateAsync();
    }

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task Two_processes_prune_every_lapsed_count_once_and_neither_while_another_holds_the_round()
    {
        using var first = ApiProcess.Launch(Environment());
        using var second = ApiProcess.Launch(Environment());
        await Patience.UntilAsync(
            () => Task.FromResult(first.Output.Contains("Application started", StringComparison.Ordinal) && second.Output.Contains("Application started", StringComparison.Ordinal)),
            "both processes started");

        await using (var holder = new NpgsqlConnection(_database.ConnectionString))
        {
            await holder.OpenAsync();
            await using var round = await holder.BeginTransactionAsync();
            await using (var take = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({SingleReplicaRound.LockKey(LoginThrottle.PruningWork)})", holder, round))
            {
                await take.ExecuteNonQueryAsync();
            }

            await _database.ExecuteAsync($"""
                INSERT INTO failed_logins (email_hash, failures, window_start)
                SELECT sha256(convert_to('lapsed ' || i, 'UTF8')), 5, now() - interval '1 hour' FROM generate_series(1, {Rows}) AS i
                """);
            var skipsBefore = Count(first, Skipped) + Count(second, Skipped);
            await Patience.UntilAsync(
                () => Task.FromResult(Count(first, Skipped) >= 2 && Count(second, Skipped) >= 2 && Count(first, Skipped) + Count(second, Skipped) >= skipsBefore + 4),
                "both processes skipped rounds while the lock was held");

            Assert.Equal((long)Rows, await CountRowsAsync());
            Assert.Equal(0, Count(first, Pruned) + Count(second, Pruned));
        }

        await Patience.UntilAsync(async () => await CountRowsAsync() == 0, "every lapsed count was pruned");
        // A few more rounds, in which a second pruning of the same rows would show.
        await Task.Delay(TimeSpan.FromSeconds(3));
        var prunedLines = Lines(first, Pruned).Concat(Lines(second, Pruned)).ToList();
        output.WriteLine(string.Join('\n', prunedLines));
        Assert.Contains($"Pruned {Rows} lapsed failed-login counts", Assert.Single(prunedLines), StringComparison.Ordinal);
        Assert.False(first.HasExited || second.HasExited);
    }

    /// <summary>A production process on the test database whose window, and so whose pruning interval, is a second.</summary>
    private Dictionary<string, string?> Environment() => ApiProcess.Production(
        ("ASPNETCORE_URLS", "http://127.0.0.1:0"),
        ("ConnectionStrings__Postgres", _database.ConnectionString),
        ("Auth__FailedLoginWindow", "00:00:01"),
        ($"Logging__LogLevel__{typeof(FailedLoginPruning).FullName}", "Debug"));

    private Task<long> CountRowsAsync() => _database.ScalarAsync<long>("SELECT count(*) FROM failed_logins");

    private static IEnumerable<string> Lines(ApiProcess.Running process, string text) =>
        process.Output.Split('\n').Where(line => line.Contains(text, StringComparison.Ordinal));

    private static int Count(ApiProcess.Running process, string text) => Lines(process, text).Count();
}
