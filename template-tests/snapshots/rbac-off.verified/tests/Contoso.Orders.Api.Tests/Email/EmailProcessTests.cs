using Contoso.Orders.Api.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Xunit.Abstractions;

namespace Contoso.Orders.Api.Tests.Email;

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

    [Fact]
    public async Task A_message_committed_before_a_crash_is_sent_exactly_once_by_the_next_process()
    {
        var recipient = ApiClient.NewEmail("crash");
        _mail.Stop();
        using (var crashing = ApiProcess.Launch(Environment()))
        {
            await TestOutbox.InsertAsync(_database, [recipient], TestOutbox.Notice("Survives", "a crash"));
            await Patience.UntilAsync(async () => (await TestOutbox.RowAsync(_database, recipient))?.Attempts >= 1, "the first process tried to send");

            crashing.Kill();
        }

        _mail.Start();
        using var next = ApiProcess.Launch(Environment());

        await _mail.NextMessageToAsync(recipient);
        // The row is marked after the server took the message: on a busy machine, a moment later.
        await Patience.UntilAsync(async () => (await TestOutbox.RowAsync(_database, recipient))?.Status == "Sent", "the message marked sent");
        await _mail.AssertNoMoreMessagesToAsync(recipient, expected: 1, wait: TimeSpan.FromSeconds(1.5));
    }

    [Fact]
    public async Task Two_processes_on_one_database_send_every_message_exactly_once()
    {
        const int count = 60;
        var recipients = Enumerable.Range(0, count).Select(i => ApiClient.NewEmail($"replica{i}")).ToList();
        using var first = ApiProcess.Launch(Environment());
        using var second = ApiProcess.Launch(Environment());
        // Both senders are polling before the messages appear, so that both compete for them.
        await Patience.UntilAsync(
            () => Task.FromResult(first.Output.Contains("Application started", StringComparison.Ordinal) && second.Output.Contains("Application started", StringComparison.Ordinal)),
            "both processes started");

        await TestOutbox.InsertAsync(_database, recipients, TestOutbox.Notice("One of many", "exactly once"));

        await Patience.UntilAsync(() => Task.FromResult(recipients.All(recipient => _mail.MessagesTo(recipient).Count > 0)), "every message arrived");
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.All(recipients, recipient => Assert.Single(_mail.MessagesTo(recipient)));
        Assert.Equal(count, _mail.Messages.Count);
        Assert.Equal((long)count, await _database.ScalarAsync<long>("SELECT count(*) FROM email_outbox WHERE status = 'Sent' AND attempts = 1"));
        output.WriteLine($"Sent by the first process: {SentBy(first)}, by the second: {SentBy(second)}");
    }

    [Fact]
    public async Task The_sender_outlives_a_database_outage_and_sends_what_was_queued_after_it()
    {
        var server = new NpgsqlConnectionStringBuilder(_database.ConnectionString);
        await using var proxy = new TcpProxy(server.Host!, server.Port);
        server.Host = "127.0.0.1";
        server.Port = proxy.Port;
        var environment = Environment();
        environment["ConnectionStrings__Postgres"] = server.ConnectionString;
        using var app = ApiProcess.Launch(environment);
        await Patience.UntilAsync(() => Task.FromResult(app.Output.Contains("Application started", StringComparison.Ordinal)), "the process started");

        proxy.Refuse();
        await Patience.UntilAsync(() => Task.FromResult(app.Output.Contains("The email outbox is unreachable", StringComparison.Ordinal)), "the sender noticed the outage");
        proxy.Restore();
        var recipient = ApiClient.NewEmail("after-outage");
        await TestOutbox.InsertAsync(_database, [recipient], TestOutbox.Notice("After", "the outage"));

        await _mail.NextMessageToAsync(recipient);
        await Patience.UntilAsync(() => Task.FromResult(app.Output.Contains("The email outbox is reachable again", StringComparison.Ordinal)), "the sender logged its recovery");
        Assert.False(app.HasExited);
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
