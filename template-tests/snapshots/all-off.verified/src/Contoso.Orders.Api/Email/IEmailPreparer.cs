namespace Contoso.Orders.Api.Email;

/// <summary>
/// Resolves an email of one template when it is sent rather than when it is queued. Two reasons:
/// <list type="bullet">
/// <item>A request that may or may not concern an existing account (forgot password, resend confirmation) queues the
/// same row either way and does the same work, so that neither its answer nor its timing tells whether the account
/// exists. The preparer looks the account up later, in the background, and may decide there is nothing to send.</item>
/// <item>A token is made here, just before the email goes out, so that it is never stored in plain text: the outbox
/// row holds no secret, only the token's hash is written (by the preparer), and the token itself exists only in the
/// email.</item>
/// </list>
/// The sender runs the preparer inside the message's transaction, on the scope's <see cref="Data.AppDbContext"/>:
/// whatever the preparer writes there commits only if the email is sent, and is rolled back when sending fails (then
/// redone on the next attempt, with a new token), so that no valid token exists that no email carried.
/// </summary>
public interface IEmailPreparer
{
    /// <summary>The template whose messages this preparer resolves.</summary>
    string Template { get; }

    /// <summary>
    /// Values to render the email with, added to (and overriding) the message's own; or null to send nothing, which
    /// completes the message as skipped. Runs again on every attempt.
    /// </summary>
    Task<IReadOnlyDictionary<string, string>?> PrepareAsync(EmailOutboxMessage message, CancellationToken cancellationToken);
}
