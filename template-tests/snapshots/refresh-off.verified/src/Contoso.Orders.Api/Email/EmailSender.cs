using System.Net.Sockets;
using Contoso.Orders.Api.Data;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MimeKit;
using Npgsql;

namespace Contoso.Orders.Api.Email;

/// <summary>
/// Sends the outbox in the background, on every replica at once. Each message is claimed with <c>FOR UPDATE SKIP
/// LOCKED</c> in a transaction held across its send, so that two replicas never send the same row (the second skips
/// it), and a crash before the commit leaves the row pending for the next attempt: nothing committed is lost.
/// Failures are retried with exponential backoff; after the last attempt the row is dead.
/// When the app stops, the sender stops between messages: a message it has claimed is still sent and recorded, given
/// at most one SMTP timeout (<see cref="SmtpSettings.Timeout"/>) more once stopping is requested, so that a rolling update neither
/// cuts an email in half nor waits on a mail server that stopped answering.
/// </summary>
public sealed partial class EmailSender(
    IServiceScopeFactory scopes,
    EmailOutboxSignal signal,
    EmailTemplates templates,
    IOptions<EmailSettings> settings,
    TimeProvider time,
    DatabaseModelWarmUp databaseModel,
    ILogger<EmailSender> logger) : BackgroundService
{
    private static readonly TimeSpan MaxOutageDelay = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan PruneInterval = TimeSpan.FromHours(1);

    private EmailSenderSettings Knobs => settings.Value.Sender;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await databaseModel.Built.WaitAsync(stoppingToken);
        var outages = 0;
        var nextPrune = time.GetUtcNow();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // Stops between messages, never in the middle of one: a message is sent and recorded, or left as it was.
                while (!stoppingToken.IsCancellationRequested && await SendNextAsync(stoppingToken))
                {
                }

                if (time.GetUtcNow() >= nextPrune)
                {
                    await PruneAsync();
                    nextPrune = time.GetUtcNow() + PruneInterval;
                }

                if (outages > 0)
                {
                    LogOutboxReachable(outages);
                    outages = 0;
                }
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // A database outage must not stop the sender: it waits longer after each failure, and tries again.
                if (outages++ == 0)
                {
                    LogOutboxUnreachable(exception);
                }
            }

            var wait = outages == 0
                ? Knobs.PollInterval
                : TimeSpan.FromTicks(Math.Min(Knobs.PollInterval.Ticks << Math.Min(outages, 16), Math.Max(MaxOutageDelay.Ticks, Knobs.PollInterval.Ticks)));
            try
            {
                await signal.WaitAsync(wait, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Claims, prepares, renders, sends and records one due message; false when none is due.</summary>
    private async Task<bool> SendNextAsync(CancellationToken stoppingToken)
    {
        // Not the stopping token itself: once claimed, a message runs to its end. Stopping only starts a countdown of
        // one SMTP timeout for the preparer and the send, after which the attempt is abandoned and its row left as it
        // was (pending, for the next process). The database writes that record the outcome are not cut short: an email
        // the server took must be marked sent, or it would go out again.
        using var attempt = new CancellationTokenSource();
        await using var countdown = stoppingToken.Register(() => attempt.CancelAfter(settings.Value.Smtp.Timeout));
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync(CancellationToken.None);

        var now = time.GetUtcNow();
        var claimed = await db.Set<EmailOutboxMessage>().FromSql($"""
            SELECT * FROM email_outbox
            WHERE status = 'Pending' AND next_attempt_at <= {now}
            ORDER BY next_attempt_at
            LIMIT 1
            FOR UPDATE SKIP LOCKED
            """).ToListAsync(CancellationToken.None);
        if (claimed is not [var message])
        {
            return false;
        }

        if (stoppingToken.IsCancellationRequested)
        {
            // Stopping was requested while the row was being claimed: leave it to the next process, untouched.
            return false;
        }

        // Everything the attempt writes (the preparer's rows included) is undone to here if the send fails.
        await transaction.CreateSavepointAsync(AttemptSavepoint, CancellationToken.None);
        var failure = await AttemptAsync(scope.ServiceProvider, db, message, attempt.Token);
        if (failure is not null)
        {
            await transaction.RollbackToSavepointAsync(AttemptSavepoint, CancellationToken.None);
            if (attempt.IsCancellationRequested)
            {
                // Abandoned at shutdown, not failed: no attempt is counted, and the next process sends it.
                LogAbandoned(message.Id, message.Template);
                return false;
            }

            await RecordFailureAsync(db, message.Id, failure, CancellationToken.None);
        }

        await transaction.CommitAsync(CancellationToken.None);
        return true;
    }

    private const string AttemptSavepoint = "email_attempt";

    private sealed record Failure(string Kind, bool Permanent, Exception Exception);

    /// <summary>Null when the message was sent (or skipped) and marked so; otherwise what went wrong, with nothing written.</summary>
    private async Task<Failure?> AttemptAsync(IServiceProvider services, AppDbContext db, EmailOutboxMessage message, CancellationToken cancellationToken)
    {
        try
        {
            var values = new Dictionary<string, string>(message.Values) { ["ProductName"] = settings.Value.ProductName };
            var preparer = services.GetServices<IEmailPreparer>().FirstOrDefault(preparer => preparer.Template == message.Template);
            if (preparer is not null)
            {
                var prepared = await preparer.PrepareAsync(message, cancellationToken);
                if (prepared is null)
                {
                    Complete(message, EmailStatus.Skipped);
                    await db.SaveChangesAsync(cancellationToken);
                    LogSkipped(message.Id, message.Template);
                    return null;
                }

                foreach (var (key, value) in prepared)
                {
                    values[key] = value;
                }
            }

            var rendered = templates.Render(message.Template, values);
            await services.GetRequiredService<IEmailTransport>().SendAsync(Compose(message.Recipient, rendered), cancellationToken);

            // The row is marked sent (and the preparer's writes kept) only now; if this commit fails after the server
            // took the email, the email goes out again on the next attempt: at least once, never lost.
            Complete(message, EmailStatus.Sent);
            await db.SaveChangesAsync(CancellationToken.None);
            LogSent(message.Id, message.Template, message.Attempts);
            return null;
        }
        catch (Exception exception) when (Classify(exception) is { } failure)
        {
            return failure;
        }
    }

    private void Complete(EmailOutboxMessage message, EmailStatus status)
    {
        message.Status = status;
        message.Attempts++;
        message.CompletedAt = time.GetUtcNow();
        message.LastError = null;
    }

    private MimeMessage Compose(string recipient, RenderedEmail rendered)
    {
        if (!MailboxAddress.TryParse(recipient, out var to))
        {
            throw new ParseException("The recipient is not a valid address.", 0, 0);
        }

        var body = new BodyBuilder { TextBody = rendered.Text, HtmlBody = rendered.Html };
        return new MimeMessage([MailboxAddress.Parse(settings.Value.From!)], [to], rendered.Subject, body.ToMessageBody());
    }

    /// <summary>
    /// What kind of failure it was, in a word that holds no address and no message text (SMTP replies quote
    /// recipients); null for a lost database connection.
    /// </summary>
    private static Failure? Classify(Exception exception) => exception switch
    {
        EmailTemplateException => new("template", Permanent: true, exception),
        ParseException => new("recipient", Permanent: true, exception),
        // The server refused a statement (a preparer's, say) on a working connection: the savepoint undoes it.
        PostgresException or DbUpdateException { InnerException: PostgresException } => new("database", Permanent: false, exception),
        // The connection itself failed: the transaction is gone, and so is the claim; the loop waits the outage out.
        NpgsqlException or DbUpdateException or InvalidOperationException { InnerException: NpgsqlException } => null,
        AuthenticationException => new("smtp-auth", Permanent: false, exception),
        SmtpCommandException => new("smtp-rejected", Permanent: false, exception),
        SmtpProtocolException or ServiceNotConnectedException => new("smtp-protocol", Permanent: false, exception),
        SslHandshakeException => new("smtp-tls", Permanent: false, exception),
        SocketException or IOException => new("smtp-connect", Permanent: false, exception),
        TimeoutException or OperationCanceledException => new("timeout", Permanent: false, exception),
        _ => new("unexpected", Permanent: false, exception),
    };

    private async Task RecordFailureAsync(AppDbContext db, Guid id, Failure failure, CancellationToken cancellationToken)
    {
        // The rollback to the savepoint undid the attempt's writes; the tracked entities are stale.
        db.ChangeTracker.Clear();
        var message = await db.Set<EmailOutboxMessage>().SingleAsync(m => m.Id == id, cancellationToken);
        message.Attempts++;
        message.LastError = failure.Kind;
        var now = time.GetUtcNow();
        if (failure.Permanent || message.Attempts >= Knobs.MaxAttempts)
        {
            message.Status = EmailStatus.Dead;
            message.CompletedAt = now;
            LogDead(failure.Exception.GetType().Name, message.Id, message.Template, message.Attempts, failure.Kind);
        }
        else
        {
            message.NextAttemptAt = now + RetryDelay(message.Attempts);
            LogRetry(failure.Exception.GetType().Name, message.Id, message.Template, message.Attempts, failure.Kind, message.NextAttemptAt);
        }

        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>The first retry delay, doubled after each further failure, at most the maximum.</summary>
    private TimeSpan RetryDelay(int attempts)
    {
        var doublings = Math.Min(attempts - 1, 30);
        var ticks = Math.Min((double)Knobs.FirstRetryDelay.Ticks * Math.Pow(2, doublings), Knobs.MaxRetryDelay.Ticks);
        return TimeSpan.FromTicks((long)ticks);
    }

    /// <summary>Done messages hold addresses: they are kept a few days (to investigate, and to count recent emails per address), then deleted.</summary>
    private async Task PruneAsync()
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var cutoff = time.GetUtcNow() - TimeSpan.FromDays(Knobs.RetentionDays);
        var deleted = await db.Set<EmailOutboxMessage>()
            .Where(m => m.Status != EmailStatus.Pending && m.CompletedAt < cutoff)
            .ExecuteDeleteAsync();
        if (deleted > 0)
        {
            LogPruned(deleted);
        }
    }

    // The logs name a message by its id and template, never by its recipient, values or body.

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Sent email {Id} ({Template}) on attempt {Attempt}")]
    private partial void LogSent(Guid id, string template, int attempt);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Email {Id} ({Template}) needed no sending: its preparer found nothing to send")]
    private partial void LogSkipped(Guid id, string template);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Sending email {Id} ({Template}) failed on attempt {Attempt}: {ErrorKind} ({ExceptionType}); next attempt at {NextAttemptAt:O}")]
    private partial void LogRetry(string exceptionType, Guid id, string template, int attempt, string errorKind, DateTimeOffset nextAttemptAt);

    [LoggerMessage(EventId = 4, Level = LogLevel.Error, Message = "Email {Id} ({Template}) is dead after {Attempts} attempt(s): {ErrorKind} ({ExceptionType}); it will not be sent")]
    private partial void LogDead(string exceptionType, Guid id, string template, int attempts, string errorKind);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "The email outbox is unreachable; the sender keeps trying")]
    private partial void LogOutboxUnreachable(Exception exception);

    [LoggerMessage(EventId = 6, Level = LogLevel.Information, Message = "The email outbox is reachable again after {Failures} failed attempt(s)")]
    private partial void LogOutboxReachable(int failures);

    [LoggerMessage(EventId = 7, Level = LogLevel.Information, Message = "Deleted {Count} email(s) older than the retention period")]
    private partial void LogPruned(int count);

    [LoggerMessage(EventId = 8, Level = LogLevel.Warning, Message = "Sending email {Id} ({Template}) did not finish within the SMTP timeout after the app began stopping; it stays queued")]
    private partial void LogAbandoned(Guid id, string template);
}
