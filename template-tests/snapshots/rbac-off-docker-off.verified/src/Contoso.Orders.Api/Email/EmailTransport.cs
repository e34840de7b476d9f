using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Contoso.Orders.Api.Email;

/// <summary>Where a rendered email goes: an SMTP server, or (in Development) a directory of .eml files.</summary>
public interface IEmailTransport
{
    Task SendAsync(MimeMessage message, CancellationToken cancellationToken);
}

/// <summary>
/// Sends over SMTP with MailKit (System.Net.Mail's SmtpClient is marked as not for new development). One connection
/// per email: the sender holds a database transaction across each send, and a connection kept open between emails
/// would only save a handshake.
/// </summary>
public sealed class SmtpEmailTransport(IOptions<EmailSettings> settings) : IEmailTransport
{
    public async Task SendAsync(MimeMessage message, CancellationToken cancellationToken)
    {
        var smtp = settings.Value.Smtp;
        using var client = new SmtpClient { Timeout = (int)smtp.Timeout.TotalMilliseconds };
        var security = smtp.Security switch
        {
            SmtpSecurity.SslOnConnect => SecureSocketOptions.SslOnConnect,
            SmtpSecurity.None => SecureSocketOptions.None,
            _ => SecureSocketOptions.StartTls,
        };
        await client.ConnectAsync(smtp.Host!, smtp.Port, security, cancellationToken);
        if (!string.IsNullOrEmpty(smtp.Username))
        {
            await client.AuthenticateAsync(smtp.Username, smtp.Password ?? "", cancellationToken);
        }

        await client.SendAsync(message, cancellationToken);
        await client.DisconnectAsync(quit: true, cancellationToken);
    }
}

/// <summary>Development: writes each email as an .eml file (open it with a mail client, or read it as text).</summary>
public sealed class PickupDirectoryEmailTransport(IOptions<EmailSettings> settings, IHostEnvironment environment, TimeProvider time) : IEmailTransport
{
    public string Directory => Path.GetFullPath(settings.Value.PickupDirectory!, environment.ContentRootPath);

    public async Task SendAsync(MimeMessage message, CancellationToken cancellationToken)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var name = $"{time.GetUtcNow():yyyyMMdd'T'HHmmss'Z'}-{Guid.NewGuid():N}.eml";
        var partial = Path.Combine(Directory, name + ".partial");
        // Text stays as written (not quoted-printable, which turns "token=" into "token=3D"), so that links and tokens
        // can be read or grepped from the file as they are.
        foreach (var part in message.BodyParts.OfType<TextPart>())
        {
            part.ContentTransferEncoding = ContentEncoding.EightBit;
        }

        await message.WriteToAsync(partial, cancellationToken);
        // A reader never sees half an email.
        File.Move(partial, Path.Combine(Directory, name));
    }
}
