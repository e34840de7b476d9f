using Contoso.Orders.Api.Data;
using Contoso.Orders.Api.Domain;
using Contoso.Orders.Api.Passwords;
using Contoso.Orders.Api.Security;
using Contoso.Orders.Api.Users;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Contoso.Orders.Api.Account;

/// <summary>
/// The account email flows. The requests that name an address (resend, forgot, change) only add outbox rows, the
/// same ones whether or not the address has an account; whatever depends on the account happens at send time.
/// </summary>
public sealed class AccountService(
    AppDbContext db, PasswordHasher passwords, PasswordPolicy policy, AccountTokenStore tokens, AccountMail mail, UserSessions sessions, SecurityEvents events)
{
    private static readonly AccountTokenPurpose[] ConfirmationPurposes = [AccountTokenPurpose.ConfirmEmail, AccountTokenPurpose.ChangeEmail];
    private static readonly AccountTokenPurpose[] ResetPurposes = [AccountTokenPurpose.ResetPassword];

    public Task ResendConfirmationAsync(string email, CancellationToken cancellationToken)
    {
        mail.Confirmation(email);
        return db.SaveChangesAsync(cancellationToken);
    }

    public Task ForgotPasswordAsync(string email, CancellationToken cancellationToken)
    {
        mail.PasswordReset(email);
        return db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>
    /// Confirms the address a confirmation token was sent to, or moves the account to the address an email-change
    /// token was sent to. False for any token that cannot do either, whatever the reason.
    /// </summary>
    public async Task<bool> ConfirmEmailAsync(string token, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var spent = await tokens.SpendAsync(token, ConfirmationPurposes, cancellationToken);
        if (spent is null)
        {
            return false;
        }

        var user = await db.Users.SingleAsync(u => u.Id == spent.UserId, cancellationToken);
        user.EmailConfirmed = true;
        if (spent.Purpose == AccountTokenPurpose.ChangeEmail)
        {
            var oldEmail = user.Email;
            user.Email = spent.Email;
            user.NormalizedEmail = spent.NormalizedEmail;
            // Tokens sent to the old address are of no use any more: they need the account to have that address.
            mail.EmailChangedNotice(oldEmail, spent.Email);
        }

        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException exception) when (exception.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            // Another account took the new address after the token was sent: the token can do nothing.
            return false;
        }

        await transaction.CommitAsync(cancellationToken);
        if (spent.Purpose == AccountTokenPurpose.ChangeEmail)
        {
            events.EmailChanged(user.Id);
        }
        else
        {
            events.EmailConfirmed(user.Id);
        }

        return true;
    }

    /// <summary>
    /// Sets a new password with a reset token, confirms the address (the token proves the mailbox), cancels pending
    /// email changes, ends every session and notifies the owner. The new password is refused, with the token left
    /// unspent, when it contains the account's own address, which only the token tells. A token that cannot reset
    /// gets one answer, whatever the reason.
    /// </summary>
    public async Task<ResetPasswordOutcome> ResetPasswordAsync(string token, string newPassword, CancellationToken cancellationToken)
    {
        // Hashed before the token's row is locked, so that the lock is not held for the length of a BCrypt hash.
        var passwordHash = passwords.Hash(newPassword);

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var spent = await tokens.SpendAsync(token, ResetPurposes, cancellationToken);
        if (spent is null)
        {
            return ResetPasswordOutcome.InvalidToken;
        }

        var user = await db.Users.SingleAsync(u => u.Id == spent.UserId, cancellationToken);
        if (policy.Problem(newPassword, user.Email, "New password") is { } problem)
        {
            return new ResetPasswordOutcome(TokenAccepted: true, PasswordProblem: problem);
        }

        user.PasswordHash = passwordHash;
        user.EmailConfirmed = true;
        mail.PasswordChangedNotice(user.Email);
        await db.SaveChangesAsync(cancellationToken);
        await tokens.CancelAsync(user.Id, [AccountTokenPurpose.ResetPassword, AccountTokenPurpose.ChangeEmail], cancellationToken);
        await sessions.EndAllAsync(user.Id, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        events.PasswordReset(user.Id);
        return ResetPasswordOutcome.Done;
    }

    /// <summary>
    /// False when the password is wrong. Otherwise a confirmation goes to the new address, or a notice if another
    /// account holds it (the same work either way), and a notice to the current address; the address changes only
    /// once the confirmation's link is followed.
    /// </summary>
    public async Task<bool> RequestEmailChangeAsync(Guid userId, string newEmail, string password, CancellationToken cancellationToken)
    {
        // The row itself rather than the request's user snapshot: the snapshot carries no password hash.
        var user = await db.Users.AsNoTracking().SingleAsync(u => u.Id == userId, cancellationToken);
        if (!passwords.Verify(password, user.PasswordHash))
        {
            return false;
        }

        var normalizedEmail = EmailAddress.Normalize(newEmail);
        var holder = await db.Users.Where(u => u.NormalizedEmail == normalizedEmail).Select(u => u.Email).SingleOrDefaultAsync(cancellationToken);
        if (holder is null)
        {
            mail.EmailChangeConfirmation(user.Id, newEmail);
        }
        else
        {
            mail.EmailInUseNotice(holder);
        }

        mail.EmailChangeRequestedNotice(user.Email, newEmail);
        await db.SaveChangesAsync(cancellationToken);
        return true;
    }
}

/// <summary>What a reset came to: done, a token that cannot reset (whatever the reason), or a refused password.</summary>
public sealed record ResetPasswordOutcome(bool TokenAccepted, string? PasswordProblem)
{
    public static readonly ResetPasswordOutcome Done = new(TokenAccepted: true, PasswordProblem: null);

    public static readonly ResetPasswordOutcome InvalidToken = new(TokenAccepted: false, PasswordProblem: null);
}
