using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using Contoso.Orders.Api.Data;
using Contoso.Orders.Api.Domain;
using Contoso.Orders.Api.Email;
using Contoso.Orders.Api.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;

namespace Contoso.Orders.Api.Tests.Email;

/// <summary>
/// Security checklist point 29: an SMTP outage delays email and changes no response; a preparer's writes commit only
/// with the send. On an app and SMTP server of their own, which these tests take down.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class EmailRetryTests(EmailRetryTests.App app) : IClassFixture<EmailRetryTests.App>
{
    public sealed class App : IAsyncLifetime
    {
        public IsolatedApi Api { get; private set; } = null!;

        public ApiFactory Factory => Api.Factory;

        public async Task InitializeAsync() =>
            Api = await IsolatedApi.StartAsync(services: services => services.AddScoped<IEmailPreparer, MarkerPreparer>());

        public async Task DisposeAsync() => await Api.DisposeAsync();
    }

    /// <summary>
    /// Resolves notices the way the account emails resolve theirs: at send time it makes a token, writes a row (here a
    /// user named after the message) and hands the token to the template; a message marked Skip finds nothing to send.
    /// </summary>
    private sealed class MarkerPreparer(AppDbContext db) : IEmailPreparer
    {
        public string Template => TestOutbox.Template;

        public async Task<IReadOnlyDictionary<string, string>?> PrepareAsync(EmailOutboxMessage message, CancellationToken cancellationToken)
        {
            if (message.Values.ContainsKey("Skip"))
            {
                return null;
            }

            var marker = MarkerOf(message.Recipient);
            db.Users.Add(new User { Email = marker, NormalizedEmail = marker, PasswordHash = "not-a-hash" });
            await db.SaveChangesAsync(cancellationToken);
            var token = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
            return new Dictionary<string, string> { ["Message"] = $"Your link: https://app.example.com/confirm-email#token={token}" };
        }
    }

    private static string MarkerOf(string recipient) => $"prepared.{recipient}";

    private Task<long> MarkersAsync(string recipient) =>
        app.Factory.Database.ScalarAsync<long>($"SELECT count(*) FROM users WHERE normalized_email = '{MarkerOf(recipient)}'");

    [Fact]
    public async Task A_preparer_adds_values_at_send_time_and_its_writes_commit_with_the_send()
    {
        var recipient = ApiClient.NewEmail("prepared");

        await app.Factory.Services.QueueWithChangeAsync(recipient, TestOutbox.Notice("Confirm", "replaced at send time"));
        var message = await app.Factory.Mail.NextMessageToAsync(recipient);

        Assert.Matches("#token=[A-Za-z0-9_-]{43}", message.TextBody);
        Assert.DoesNotContain("replaced at send time", message.TextBody);
        await Patience.UntilAsync(async () => (await TestOutbox.RowAsync(app.Factory.Database, recipient))?.Status == "Sent", "the row is marked sent");
        Assert.Equal(1L, await MarkersAsync(recipient));
        var values = await app.Factory.Database.ScalarAsync<string>($"SELECT values::text FROM email_outbox WHERE recipient = '{recipient}'");
        Assert.DoesNotContain("token", values);
    }

    [Fact]
    public async Task A_preparer_that_finds_nothing_to_send_completes_the_message_without_sending()
    {
        var recipient = ApiClient.NewEmail("skipped");
        var values = TestOutbox.Notice("Nothing", "to send");
        values["Skip"] = "yes";

        await app.Factory.Services.QueueWithChangeAsync(recipient, values);

        await Patience.UntilAsync(async () => (await TestOutbox.RowAsync(app.Factory.Database, recipient))?.Status == "Skipped", "the row is skipped");
        await app.Factory.Mail.AssertNoMoreMessagesToAsync(recipient, expected: 0, wait: TimeSpan.FromMilliseconds(500));
    }

    [Fact]
    public async Task With_the_smtp_server_down_requests_still_succeed_and_the_message_arrives_once_it_is_back()
    {
        var recipient = ApiClient.NewEmail("outage");
        using var client = app.Factory.CreateClient();
        app.Factory.Mail.Stop();
        try
        {
            var stopwatch = Stopwatch.StartNew();
            var registered = await client.RegisterAsync(ApiClient.NewEmail("during-smtp-outage"));
            stopwatch.Stop();
            await app.Factory.Services.QueueWithChangeAsync(recipient, TestOutbox.Notice("Delayed", "by an outage"));
            await Patience.UntilAsync(async () => (await TestOutbox.RowAsync(app.Factory.Database, recipient))?.Attempts >= 2, "two attempts failed");

            Assert.Equal(HttpStatusCode.Accepted, registered.StatusCode);
            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(5), $"Registering took {stopwatch.Elapsed} while the SMTP server was down.");
            var row = await TestOutbox.RowAsync(app.Factory.Database, recipient);
            Assert.Equal(("Pending", "smtp-connect"), (row?.Status, row?.LastError));
            // The preparer ran on every attempt; each failed send rolled its writes back.
            Assert.Equal(0L, await MarkersAsync(recipient));
        }
        finally
        {
            app.Factory.Mail.Start();
        }

        await app.Factory.Mail.NextMessageToAsync(recipient);
        await Patience.UntilAsync(async () => (await TestOutbox.RowAsync(app.Factory.Database, recipient))?.Status == "Sent", "the row is marked sent");
        await app.Factory.Mail.AssertNoMoreMessagesToAsync(recipient, expected: 1, wait: TimeSpan.FromSeconds(1));
        Assert.Equal(1L, await MarkersAsync(recipient));
    }

    [Fact]
    public async Task After_the_last_attempt_a_message_is_dead_and_logged_by_id_and_template_only()
    {
        await using var isolated = await IsolatedApi.StartAsync(new Dictionary<string, string?> { ["Email:Sender:MaxAttempts"] = "3" });
        var recipient = ApiClient.NewEmail("dead");
        isolated.Factory.Mail.Stop();

        await isolated.Factory.Services.QueueWithChangeAsync(recipient, TestOutbox.Notice("Dead", "letter"));
        await Patience.UntilAsync(async () => (await TestOutbox.RowAsync(isolated.Factory.Database, recipient))?.Status == "Dead", "the row is dead");
        isolated.Factory.Mail.Start();

        Assert.Equal(3, (await TestOutbox.RowAsync(isolated.Factory.Database, recipient))?.Attempts);
        var id = await isolated.Factory.Database.ScalarAsync<Guid>($"SELECT id FROM email_outbox WHERE recipient = '{recipient}'");
        Assert.Contains($"Error Contoso.Orders.Api.Email.EmailSender: Email {id} (notice) is dead after 3 attempt(s): smtp-connect", isolated.Factory.Logs.Text);
        Assert.DoesNotContain(recipient, isolated.Factory.Logs.Text);
        await isolated.Factory.Mail.AssertNoMoreMessagesToAsync(recipient, expected: 0, wait: TimeSpan.FromSeconds(1.5));
    }
}
