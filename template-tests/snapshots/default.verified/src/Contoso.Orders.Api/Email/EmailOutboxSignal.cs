using Contoso.Orders.Api.Data;
using Microsoft.EntityFrameworkCore;

namespace Contoso.Orders.Api.Email;

/// <summary>
/// Wakes the <see cref="EmailSender"/> as soon as this process committed a new email, so that it goes out at once
/// rather than at the next poll. Other replicas' emails are found by polling.
/// </summary>
public sealed class EmailOutboxSignal
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    public void Notify()
    {
        try
        {
            _signal.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already signalled: one wake-up drains everything there is.
        }
    }

    /// <summary>True when woken by <see cref="Notify"/>, false after the timeout.</summary>
    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _signal.WaitAsync(timeout, cancellationToken);
}

/// <summary>
/// Signals new email only once it is committed: a signal before the commit would wake the sender to a row it cannot
/// see yet.
/// </summary>
public sealed class EmailOutboxCommitInterceptor(EmailOutboxSignal signal) : CommitInterceptor<EmailOutboxCommitInterceptor.NewEmail>
{
    /// <summary>The one item collected: "this save queued email".</summary>
    public enum NewEmail
    {
        Queued,
    }

    protected override void Collect(DbContext context, ISet<NewEmail> items)
    {
        if (context.ChangeTracker.Entries<EmailOutboxMessage>().Any(entry => entry.State == EntityState.Added))
        {
            items.Add(NewEmail.Queued);
        }
    }

    protected override void Committed(IReadOnlyCollection<NewEmail> items) => signal.Notify();
}
