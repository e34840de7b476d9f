using System.Net.Sockets;
using Contoso.Auth_Api.Api.Tests.Infrastructure;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Contoso.Auth_Api.Api.Tests.Email;

/// <summary>The SMTP server the tests send to is a real one, and an outage of it is a real outage.</summary>
public sealed class TestMailServerTests
{
    [Fact]
    public async Task It_receives_over_smtp_refuses_while_stopped_and_serves_again_on_the_same_port()
    {
        await using var server = new TestMailServer();
        var address = ApiClient.NewEmail("mail-server");

        await SendAsync(server.Port, address, "first");
        var first = await server.NextMessageToAsync(address);
        server.Stop();
        await Assert.ThrowsAnyAsync<SocketException>(() => SendAsync(server.Port, address, "refused"));
        server.Start();
        await SendAsync(server.Port, address, "second");
        var second = await server.NextMessageToAsync(address);

        Assert.Equal("first", first.Subject);
        Assert.Equal("second", second.Subject);
        Assert.Equal(2, server.MessagesTo(address).Count);
        await Assert.ThrowsAsync<TimeoutException>(() => server.NextMessageToAsync(address, TimeSpan.FromMilliseconds(200)));
    }

    private static async Task SendAsync(int port, string to, string subject)
    {
        using var client = new SmtpClient();
        await client.ConnectAsync(TestMailServer.Host, port, SecureSocketOptions.None);
        await client.SendAsync(new MimeMessage([MailboxAddress.Parse("sender@example.com")], [MailboxAddress.Parse(to)], subject, new TextPart("plain") { Text = "body" }));
        await client.DisconnectAsync(quit: true);
    }
}
