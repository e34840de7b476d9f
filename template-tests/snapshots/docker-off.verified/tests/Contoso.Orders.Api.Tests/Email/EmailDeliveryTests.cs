using Contoso.Orders.Api.Tests.Infrastructure;
using MimeKit;

namespace Contoso.Orders.Api.Tests.Email;

/// <summary>Security checklist point 29: email is queued in the transaction of the change that causes it and sent in the background.</summary>
[Collection(ApiCollection.Name)]
public sealed class EmailDeliveryTests(ApiFactory api)
{
    [Fact]
    public async Task A_message_queued_in_a_committed_transaction_arrives_over_smtp_with_text_and_html_parts()
    {
        var recipient = ApiClient.NewEmail("delivered");

        await api.Services.QueueWithChangeAsync(recipient, TestOutbox.Notice("Welcome <aboard>", "Fish & chips <b>today</b>"));
        var message = await api.Mail.NextMessageToAsync(recipient);

        Assert.Equal("no-reply@example.com", Assert.Single(message.From.Mailboxes).Address);
        Assert.Equal(recipient, Assert.Single(message.To.Mailboxes).Address);
        Assert.Equal("Contoso.Orders: Welcome <aboard>", message.Subject);
        Assert.Contains("Fish & chips <b>today</b>", message.TextBody);
        Assert.Contains("Fish &amp; chips &lt;b&gt;today&lt;/b&gt;", message.HtmlBody);
        Assert.Contains("<h1 style=\"font-size: 1.25em;\">Welcome &lt;aboard&gt;</h1>", message.HtmlBody);
        Assert.Equal("multipart/alternative", message.Body?.ContentType.MimeType);
        // The row is marked sent in the transaction that claimed it, which commits just after the send.
        await Patience.UntilAsync(async () => (await TestOutbox.RowAsync(api.Database, recipient))?.Status == "Sent", "the row is marked sent");
        Assert.Equal(1L, await api.Database.ScalarAsync<long>($"SELECT count(*) FROM users WHERE email = '{recipient}'"));
    }

    [Fact]
    public async Task A_message_queued_in_a_rolled_back_transaction_is_never_sent()
    {
        var recipient = ApiClient.NewEmail("rolled-back");

        await api.Services.QueueWithChangeAsync(recipient, TestOutbox.Notice("Never", "sent"), commit: false);

        await api.Mail.AssertNoMoreMessagesToAsync(recipient, expected: 0, wait: TimeSpan.FromSeconds(1));
        Assert.Null(await TestOutbox.RowAsync(api.Database, recipient));
        Assert.Equal(0L, await api.Database.ScalarAsync<long>($"SELECT count(*) FROM users WHERE email = '{recipient}'"));
    }

    [Fact]
    public async Task A_committed_message_wakes_the_sender_at_once_instead_of_at_the_next_poll()
    {
        // A database of its own, so that no other app's poll sends the message first.
        await using var isolated = await IsolatedApi.StartAsync(new Dictionary<string, string?> { ["Email:Sender:PollInterval"] = "00:10:00" });
        var recipient = ApiClient.NewEmail("woken");
        await Task.Delay(500);

        await isolated.Factory.Services.QueueWithChangeAsync(recipient, TestOutbox.Notice("Soon", "at once"));

        await isolated.Factory.Mail.NextMessageToAsync(recipient);
    }

    [Fact]
    public async Task The_sender_logs_a_message_by_id_and_template_never_by_its_address_or_content()
    {
        var recipient = ApiClient.NewEmail("logged");
        var secret = $"secret-{Guid.NewGuid():N}";
        TestRun.RememberSecret(secret);

        await api.Services.QueueWithChangeAsync(recipient, TestOutbox.Notice("Log check", secret));
        await api.Mail.NextMessageToAsync(recipient);
        await Patience.UntilAsync(async () => (await TestOutbox.RowAsync(api.Database, recipient))?.Status == "Sent", "the row is marked sent");

        var id = await api.Database.ScalarAsync<Guid>($"SELECT id FROM email_outbox WHERE recipient = '{recipient}'");
        var logs = api.Logs.Text;
        Assert.Contains($"Sent email {id} (notice)", logs);
        Assert.DoesNotContain(recipient, logs);
        Assert.DoesNotContain(secret, logs);
    }

    [Fact]
    public async Task In_development_a_pickup_directory_gets_each_email_as_an_eml_file_instead()
    {
        var directory = Directory.CreateTempSubdirectory("contoso_orders-mail-").FullName;
        try
        {
            await using var isolated = await IsolatedApi.StartAsync(new Dictionary<string, string?> { ["Email:PickupDirectory"] = directory }, environment: "Development");
            var recipient = ApiClient.NewEmail("pickup");

            await isolated.Factory.Services.QueueWithChangeAsync(recipient, TestOutbox.Notice("Picked up", "from a file"));
            await Patience.UntilAsync(() => Task.FromResult(Directory.GetFiles(directory, "*.eml").Length == 1), "the .eml file is written");
            var message = await MimeMessage.LoadAsync(Directory.GetFiles(directory, "*.eml").Single());

            Assert.Equal(recipient, Assert.Single(message.To.Mailboxes).Address);
            Assert.Equal("Contoso.Orders: Picked up", message.Subject);
            Assert.Contains("from a file", message.TextBody);
            Assert.Contains("from a file", message.HtmlBody);
            Assert.Empty(isolated.Factory.Mail.MessagesTo(recipient));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
