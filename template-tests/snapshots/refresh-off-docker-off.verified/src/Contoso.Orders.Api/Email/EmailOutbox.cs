using Contoso.Orders.Api.Data;

namespace Contoso.Orders.Api.Email;

/// <summary>
/// Queues email on the caller's <see cref="AppDbContext"/>: the caller's SaveChanges (in the caller's transaction, if
/// any) commits the email together with the change that caused it, or neither. Nothing is sent inside the request:
/// the <see cref="EmailSender"/> sends it in the background, so that a request never waits for the mail server and
/// never fails because of it.
/// </summary>
public sealed class EmailOutbox(AppDbContext db, EmailTemplates templates, TimeProvider time)
{
    /// <summary>
    /// Adds an email to <paramref name="recipient"/> made from <paramref name="template"/> (a name in Email/Templates)
    /// and <paramref name="values"/> (the template's placeholders). Values are stored until the email is sent and kept
    /// a few days after: never put a secret in them (a token is made by the template's <see cref="IEmailPreparer"/>).
    /// </summary>
    public void Add(string recipient, string template, IReadOnlyDictionary<string, string> values)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(recipient);
        if (!templates.Exists(template))
        {
            throw new ArgumentException($"There is no email template named '{template}' in Email/Templates.", nameof(template));
        }

        var now = time.GetUtcNow();
        db.Set<EmailOutboxMessage>().Add(new EmailOutboxMessage
        {
            Recipient = recipient.Trim(),
            Template = template,
            Values = new Dictionary<string, string>(values),
            CreatedAt = now,
            NextAttemptAt = now,
        });
    }
}
