namespace Contoso.Orders.Api.Email;

public enum EmailStatus
{
    /// <summary>Waiting for its next attempt.</summary>
    Pending,

    Sent,

    /// <summary>Its template's preparer decided, at send time, that there was nothing to send.</summary>
    Skipped,

    /// <summary>Given up after the last attempt, or at once when it can never be sent (an unknown template, a bad recipient).</summary>
    Dead,
}

/// <summary>
/// One email waiting in (or done with) the outbox. It holds what the email is rendered from at send time, never the
/// rendered text and never a secret: a token is made by the template's <see cref="IEmailPreparer"/> when the email
/// goes out.
/// </summary>
public sealed class EmailOutboxMessage
{
    public Guid Id { get; init; } = Guid.CreateVersion7();

    public required string Recipient { get; init; }

    /// <summary>The name of a template in Email/Templates.</summary>
    public required string Template { get; init; }

    public required Dictionary<string, string> Values { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public EmailStatus Status { get; set; } = EmailStatus.Pending;

    public int Attempts { get; set; }

    public required DateTimeOffset NextAttemptAt { get; set; }

    /// <summary>When it was sent, skipped or given up.</summary>
    public DateTimeOffset? CompletedAt { get; set; }

    /// <summary>The kind of the last failure (such as <c>smtp-connect</c>); never a message text, which may quote an address.</summary>
    public string? LastError { get; set; }
}
