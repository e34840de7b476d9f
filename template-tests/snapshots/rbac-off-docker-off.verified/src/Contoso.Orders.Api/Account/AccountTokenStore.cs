using System.Security.Cryptography;
using System.Text;
using Contoso.Orders.Api.Data;
using Contoso.Orders.Api.Domain;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Contoso.Orders.Api.Account;

/// <summary>
/// Issues and spends the tokens that emails carry: 256 random bits, opaque, stored only as SHA-256 hashes, bound to
/// one account and one purpose, single-use, expiring, and superseded by the account's next token of the purpose.
/// Runs on the caller's <see cref="AppDbContext"/>, so it joins the caller's transaction.
/// </summary>
public sealed class AccountTokenStore(AppDbContext db, IOptions<AccountSettings> settings, TimeProvider time)
{
    /// <summary>How far back <see cref="CountSentToAsync"/> looks, and so how long spent rows are kept.</summary>
    public static readonly TimeSpan CountingWindow = TimeSpan.FromHours(1);

    private DbSet<AccountToken> Tokens => db.Set<AccountToken>();

    /// <summary>A new token for the account and purpose; the account's older ones of that purpose stop working.</summary>
    public async Task<string> IssueAsync(Guid userId, AccountTokenPurpose purpose, string email, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await Tokens.Where(t => t.UserId == userId && t.Purpose == purpose && t.SpentAt == null)
            .ExecuteUpdateAsync(update => update.SetProperty(t => t.SpentAt, now), cancellationToken);
        // The account's rows that can neither be used nor count any more: the table holds little per account.
        var countedSince = now - CountingWindow;
        await Tokens.Where(t => t.UserId == userId && t.CreatedAt < countedSince && (t.SpentAt != null || t.ExpiresAt < now))
            .ExecuteDeleteAsync(cancellationToken);

        var token = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        Tokens.Add(new AccountToken
        {
            UserId = userId,
            Purpose = purpose,
            TokenHash = Hash(token),
            Email = email.Trim(),
            NormalizedEmail = EmailAddress.Normalize(email),
            CreatedAt = now,
            ExpiresAt = now + settings.Value.LifetimeOf(purpose),
        });
        await db.SaveChangesAsync(cancellationToken);
        return token;
    }

    public TimeSpan LifetimeOf(AccountTokenPurpose purpose) => settings.Value.LifetimeOf(purpose);

    /// <summary>How many tokens were sent to the address within the last hour, whatever their purpose and account.</summary>
    public Task<int> CountSentToAsync(string email, CancellationToken cancellationToken)
    {
        var normalizedEmail = EmailAddress.Normalize(email);
        var since = time.GetUtcNow() - CountingWindow;
        return Tokens.CountAsync(t => t.NormalizedEmail == normalizedEmail && t.CreatedAt > since, cancellationToken);
    }

    /// <summary>
    /// Spends the presented token if it is live, of one of the purposes, and its account active; null otherwise,
    /// whatever the reason. A confirmation or reset token also needs the account to still have the address it was
    /// sent to. One conditional statement: of two concurrent uses, the second waits for the first's row lock, then
    /// finds the token spent and matches nothing.
    /// </summary>
    public async Task<AccountToken?> SpendAsync(string presentedToken, AccountTokenPurpose[] purposes, CancellationToken cancellationToken)
    {
        var hash = Hash(presentedToken);
        var now = time.GetUtcNow();
        var purposeNames = purposes.Select(p => p.ToString()).ToArray();
        var changeEmail = nameof(AccountTokenPurpose.ChangeEmail);
        var spent = await Tokens.FromSql($"""
            UPDATE account_tokens AS t SET spent_at = {now}
            FROM users AS u
            WHERE t.token_hash = {hash} AND t.purpose = ANY({purposeNames}) AND t.spent_at IS NULL AND t.expires_at > {now}
              AND u.id = t.user_id AND u.is_active
              AND (t.purpose = {changeEmail} OR u.normalized_email = t.normalized_email)
            RETURNING t.*
            """).AsNoTracking().ToListAsync(cancellationToken);
        return spent is [var token] ? token : null;
    }

    /// <summary>The account's unused tokens of these purposes stop working (a password reset cancels email changes).</summary>
    public Task CancelAsync(Guid userId, AccountTokenPurpose[] purposes, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        return Tokens.Where(t => t.UserId == userId && purposes.Contains(t.Purpose) && t.SpentAt == null)
            .ExecuteUpdateAsync(update => update.SetProperty(t => t.SpentAt, now), cancellationToken);
    }

    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));
}
