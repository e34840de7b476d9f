using Contoso.Auth_Api.Api.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Xunit.Abstractions;

namespace Contoso.Auth_Api.Api.Tests.Email;

/// <summary>
/// Security checklist point 29 and "Several replicas", with the built app run as real processes on one database: a
/// crash loses no committed email, and replicas never send one twice. Rows are written with SQL, as any replica's
/// request would have committed them.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class EmailProcessTests(ITestOutputHelper output) : IAsyncLifetime
{
    private TestDatabase _database = null!;
    private readonly TestMailServer _mail = new();

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync();
        await using var db = _database.CreateDbContext();
        await db.Database.MigrateAsync();
    }

    public async Task DisposeAsync()
    {
        await _mail.DisposeAsync();
        await _database.DisposeAsync();
    }

    /// <summary>
    /// One story on one database: a process crashes with a message committed; two processes (one reaching the database
    /// through a proxy) send it and a burst of others, each exactly once; then the proxied one alone loses the database
    /// for a while and sends what was queued after the outage.
    /// </summary>
    [Fact]
    public async Task A_message_committed_before_a_crash_is_sent_exactly_once_two_processes_send_every_message_exactly_once_and_the_sender_outlives_a_database_outage()
    {
        var crashed = ApiClient.NewEmail("crash");
        _mail.Stop();
        using (var crashing = ApiProcess.Launch(Environment()))
        {
            await TestOutbox.InsertAsync(_database, [crashed], TestOutbox.Notice("Survives", "a crash"));
            await Patience.UntilAsync(async () => (await TestOutbox.RowAsync(_database, crashed))?.Attempts >= 1, "the first process tried to send");

            crashing.Kill();
        }

        _mail.Start();
        var server = new NpgsqlConnectionStringBuilder(_database.ConnectionString);
        await using var proxy = new TcpProxy(server.Host!, server.Port);
        server.Host = "127.0.0.1";
        server.Port = proxy.Port;
        var proxied = Environment();
        proxied["ConnectionStrings__Postgres"] = server.ConnectionString;
        const int count = 60;
        var recipients = Enumerable.Range(0, count).Select(i => ApiClient.NewEmail($"replica{i}")).ToList();
        using var second = ApiProcess.Launch(proxied);
        using (var first = ApiProcess.Launch(Environment()))
        {
            // Both senders are polling before the burst appears, so that both compete for it.
            await Patience.UntilAsync(
                () => Task.FromResult(first.Output.Contains("Application started", StringComparison.Ordinal) && second.Output.Contains("Application started", StringComparison.Ordinal)),
                "both processes started");

            await TestOutbox.InsertAsync(_database, recipients, TestOutbox.Notice("One of many", "exactly once"));

            await _mail.NextMessageToAsync(crashed);
            // The row is marked after the server took the message: on a busy machine, a moment later.
            await Patience.UntilAsync(async () => (await TestOutbox.RowAsync(_database, crashed))?.Status == "Sent", "the crashed process's message marked sent");
            await Patience.UntilAsync(() => Task.FromResult(recipients.All(recipient => _mail.MessagesTo(recipient).Count > 0)), "every message arrived");
            await Task.Delay(TimeSpan.FromSeconds(1.5));
            Assert.Single(_mail.MessagesTo(crashed));
            Assert.All(recipients, recipient => Assert.Single(_mail.MessagesTo(recipient)));
            Assert.Equal(count + 1, _mail.Messages.Count);
            Assert.Equal((long)count, await _database.ScalarAsync<long>("SELECT count(*) FROM email_outbox WHERE status = 'Sent' AND attempts = 1"));
            output.WriteLine($"Sent by the first process: {SentBy(first)}, by the second: {SentBy(second)}");
        }

        // The second process alone now: it loses the database, and sends what was queued once it is back.
        proxy.Refuse();
        await Patience.UntilAsync(() => Task.FromResult(second.Output.Contains("The email outbox is unreachable", StringComparison.Ordinal)), "the sender noticed the outage");
        proxy.Restore();
        var recipient = ApiClient.NewEmail("after-outage");
        await TestOutbox.InsertAsync(_database, [recipient], TestOutbox.Notice("After", "the outage"));

        await _mail.NextMessageToAsync(recipient);
        await Patience.UntilAsync(() => Task.FromResult(second.Output.Contains("The email outbox is reachable again", StringComparison.Ordinal)), "the sender logged its recovery");
        Assert.False(second.HasExited);
    }

    private static int SentBy(ApiProcess.Running process) =>
        process.Output.Split('\n').Count(line => line.Contains("Sent email", StringComparison.Ordinal));

    /// <summary>A production process on the test database, sending to the test SMTP server, polling often.</summary>
    private Dictionary<string, string?> Environment()
    {
        var environment = ApiProcess.Production(
            ("ASPNETCORE_URLS", "http://127.0.0.1:0"),
            ("ConnectionStrings__Postgres", _database.ConnectionString));
        foreach (var (key, value) in ApiProcess.AsEnvironment(_mail.Settings))
        {
            environment[key] = value;
        }

        return environment;
    }
}
