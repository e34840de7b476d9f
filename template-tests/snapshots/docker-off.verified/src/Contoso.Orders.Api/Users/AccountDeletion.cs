using Contoso.Orders.Api.Account;
using Contoso.Orders.Api.Auth;
using Contoso.Orders.Api.Data;
using Contoso.Orders.Api.Domain;
using Contoso.Orders.Api.Security;
using Contoso.Orders.Api.TwoFactor;
using Microsoft.EntityFrameworkCore;

namespace Contoso.Orders.Api.Users;

/// <summary>
/// A feature that may forbid deleting an account (one that must not be left without the account's holder, say). It
/// runs inside the deletion's transaction, so what it reads stays true until the deletion commits or rolls back.
/// </summary>
public interface IAccountDeletionGuard
{
    /// <summary>Why the account may not be deleted, in words for its owner; null when it may.</summary>
    Task<string?> RefusalAsync(User user, CancellationToken cancellationToken);
}

public enum AccountDeletionOutcome
{
    Deleted,
    WrongPassword,

    /// <summary>Two-factor sign-in is on, and the code is missing or wrong.</summary>
    WrongCode,
    Refused,
}

public sealed record AccountDeletionResult(AccountDeletionOutcome Outcome, string? Refusal = null);

/// <summary>
/// Deletes an account and everything that belongs to it, in one transaction: the user's row, and with it (by cascade)
/// every row keyed by the user; the failed-login counts of the address and of the account's codes; and every email to the address or about the
/// account, sent or not, but the notice of the deletion itself. Every replica drops the user when it commits (the
/// row's trigger announces it), so every token of the account is refused from then on.
/// </summary>
public sealed class AccountDeletion(
    AppDbContext db, PasswordHasher passwords, TwoFactorCodes codes, AccountMail mail, IEnumerable<IAccountDeletionGuard> guards, SecurityEvents events)
{
    public async Task<AccountDeletionResult> DeleteAsync(Guid userId, string password, string? code, CancellationToken cancellationToken)
    {
        var user = await db.Users.SingleAsync(u => u.Id == userId, cancellationToken);
        if (!passwords.Verify(password, user.PasswordHash))
        {
            events.AccountDeletionRefused(userId);
            return new AccountDeletionResult(AccountDeletionOutcome.WrongPassword);
        }

        if (user.TwoFactorEnabled && (code is null || await codes.SpendAsync(userId, code, cancellationToken) == CodeCheck.Wrong))
        {
            events.AccountDeletionRefused(userId);
            return new AccountDeletionResult(AccountDeletionOutcome.WrongCode, "The code is not valid.");
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        foreach (var guard in guards)
        {
            if (await guard.RefusalAsync(user, cancellationToken) is { } refusal)
            {
                return new AccountDeletionResult(AccountDeletionOutcome.Refused, refusal);
            }
        }

        byte[][] countKeys = [LoginThrottle.Hash(user.Email), TwoFactorCodes.ThrottleKey(userId)];
        await db.Set<FailedLoginCount>().Where(c => countKeys.Contains(c.EmailHash)).ExecuteDeleteAsync(cancellationToken);
        await db.Database.ExecuteSqlAsync($"""
            DELETE FROM email_outbox WHERE lower(recipient) = {user.NormalizedEmail} OR "values" ->> {AccountMail.UserIdValue} = {userId.ToString()}
            """, cancellationToken);
        db.Users.Remove(user);
        mail.AccountDeletedNotice(user.Email);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        events.UserDeleted(userId);
        return new AccountDeletionResult(AccountDeletionOutcome.Deleted);
    }
}
