using System.Security.Cryptography;
using System.Text;
using Contoso.Orders.Api.Configuration;
using Contoso.Orders.Api.Data;
using Contoso.Orders.Api.Domain;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Contoso.Orders.Api.Auth;

/// <summary>
/// What login learned of a count of failures before checking the credential: the count's key, whether there is a
/// count to clear, and, when the key's attempts are refused until its window lapses, how long that is.
/// </summary>
public sealed record LoginThrottleState(byte[] Key, bool HasFailures, TimeSpan? RetryAfter);

/// <summary>
/// Counts failed logins per email in PostgreSQL, so that every replica sees the same count: after
/// <c>Auth:MaxFailedLoginsPerEmail</c> failures within <c>Auth:FailedLoginWindow</c> of the first, the email's logins
/// are refused until the window lapses, whether or not an account has the email. A success clears the count.
/// Other secrets an account is asked for count the same way under keys of their own (two-factor codes, per account).
/// </summary>
public sealed class LoginThrottle(AppDbContext db, IOptions<AuthSettings> settings, TimeProvider time)
{
    /// <summary>The name of the pruning round's advisory lock (see <see cref="SingleReplicaRound"/>).</summary>
    public const string PruningWork = "failed login pruning";

    private DbSet<FailedLoginCount> Counts => db.Set<FailedLoginCount>();

    private TimeSpan Window => settings.Value.FailedLoginWindow;

    /// <summary>One primary-key read: for an email with no failures on record, the whole cost of the throttle.</summary>
    public Task<LoginThrottleState> CheckAsync(string email, CancellationToken cancellationToken) => CheckKeyAsync(Hash(email), cancellationToken);

    /// <summary>The same check for a count under any key (see <see cref="FailedLoginCount"/>).</summary>
    public async Task<LoginThrottleState> CheckKeyAsync(byte[] key, CancellationToken cancellationToken)
    {
        var count = await Counts.AsNoTracking().Where(c => c.EmailHash == key)
            .Select(c => new { c.Failures, c.WindowStart }).SingleOrDefaultAsync(cancellationToken);
        if (count is null)
        {
            return new LoginThrottleState(key, HasFailures: false, RetryAfter: null);
        }

        var left = count.WindowStart + Window - time.GetUtcNow();
        var refused = count.Failures >= settings.Value.MaxFailedLoginsPerEmail && left > TimeSpan.Zero;
        return new LoginThrottleState(key, HasFailures: true, refused ? left : null);
    }

    /// <summary>
    /// Counts a failure in one statement: the first failure of a window starts it, a later one within it adds to it.
    /// The row lock that the upsert takes serializes failures counted at once by several replicas, so none is lost.
    /// Logins for one email that all pass the check before any failure is counted are bounded by the per-address
    /// limiter, not here.
    /// </summary>
    public Task RecordFailureAsync(LoginThrottleState state)
    {
        var now = time.GetUtcNow();
        var windowOpenSince = now - Window;
        // Not cancellable: a client that hangs up after a wrong password must not escape the count.
        return db.Database.ExecuteSqlAsync($"""
            INSERT INTO failed_logins AS f (email_hash, failures, window_start) VALUES ({state.Key}, 1, {now})
            ON CONFLICT (email_hash) DO UPDATE SET
                failures = CASE WHEN f.window_start > {windowOpenSince} THEN f.failures + 1 ELSE 1 END,
                window_start = CASE WHEN f.window_start > {windowOpenSince} THEN f.window_start ELSE {now} END
            """, CancellationToken.None);
    }

    /// <summary>A successful login forgets the email's failures.</summary>
    public Task ClearAsync(LoginThrottleState state) =>
        Counts.Where(c => c.EmailHash == state.Key).ExecuteDeleteAsync(CancellationToken.None);

    /// <summary>Deletes counts whose window lapsed (in a <see cref="FailedLoginPruning"/> round); returns how many.</summary>
    public Task<int> PruneAsync()
    {
        var lapsedBefore = time.GetUtcNow() - Window;
        return Counts.Where(c => c.WindowStart <= lapsedBefore).ExecuteDeleteAsync(CancellationToken.None);
    }

    /// <summary>The key of an email's count: its normalized form's SHA-256, never the address itself.</summary>
    public static byte[] Hash(string email) => SHA256.HashData(Encoding.UTF8.GetBytes(EmailAddress.Normalize(email)));
}
