using AuthTemplate.Api.Auth;
using AuthTemplate.Api.Data;
using AuthTemplate.Api.Domain;
using AuthTemplate.Api.Email;
using AuthTemplate.Api.Security;
using AuthTemplate.Api.Users;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace AuthTemplate.Api.TwoFactor;

/// <summary>Why a two-factor request was refused: a field of the request (null: the account's state), and what to tell the user.</summary>
public sealed record TwoFactorRefusal(string? Field, string Message);

/// <summary>A two-factor request's result: its value, or a refusal, or how long the account's attempts are throttled.</summary>
public sealed record TwoFactorResult<T>(T? Value, TwoFactorRefusal? Refusal = null, TimeSpan? RetryAfter = null)
    where T : class;

public sealed record AuthenticatorSetup(string SharedKey, string OtpauthUri);

public sealed record RecoveryCodeSet(IReadOnlyList<string> RecoveryCodes);

/// <summary>
/// Turning two-factor sign-in on and off and renewing recovery codes: each needs the password in the same request
/// (ASVS 7.5.1, so that a stolen access token alone changes no factor), and wrong passwords and codes count against the
/// account across replicas like failed logins. Every change sends the owner a notice and logs a security event.
/// </summary>
public sealed class TwoFactorService(
    AppDbContext db, PasswordHasher passwords, TwoFactorSecrets secrets, TwoFactorCodes codes, RecoveryCodes recoveryCodes, LoginThrottle throttle,
    TwoFactorMail mail, UserSessions sessions, IOptions<EmailSettings> email, TimeProvider time, SecurityEvents events)
{
    private static readonly TwoFactorRefusal WrongPassword = new("password", "Password is incorrect.");
    private static readonly TwoFactorRefusal WrongCode = new("code", "The code is not valid.");
    private static readonly TwoFactorRefusal AlreadyOn = new(null, "Two-factor sign-in is already on.");
    private static readonly TwoFactorRefusal NotOn = new(null, "Two-factor sign-in is not on.");

    /// <summary>A new pending secret, replacing any earlier pending one; two-factor sign-in is on only once a code proves the app has it.</summary>
    public Task<TwoFactorResult<AuthenticatorSetup>> SetUpAsync(Guid userId, string password, CancellationToken cancellationToken) =>
        GuardedAsync<AuthenticatorSetup>(userId, password, code: null, mustBeOn: false, "setup", async user =>
        {
            var secret = AuthenticatorCodes.NewSecret();
            var authenticator = await db.Set<Authenticator>().SingleOrDefaultAsync(a => a.UserId == userId, cancellationToken);
            if (authenticator is null)
            {
                db.Add(new Authenticator { UserId = userId, ProtectedSecret = secrets.Protect(secret), CreatedAt = time.GetUtcNow() });
            }
            else
            {
                authenticator.ProtectedSecret = secrets.Protect(secret);
                authenticator.LastUsedStep = null;
                authenticator.CreatedAt = time.GetUtcNow();
            }

            await db.SaveChangesAsync(cancellationToken);
            return new AuthenticatorSetup(AuthenticatorCodes.Base32(secret), AuthenticatorCodes.OtpauthUri(secret, email.Value.ProductName, user.Email));
        }, cancellationToken);

    /// <summary>Turns two-factor sign-in on with a code from the pending authenticator; the recovery codes are returned this once.</summary>
    public async Task<TwoFactorResult<RecoveryCodeSet>> EnableAsync(Guid userId, string code, CancellationToken cancellationToken)
    {
        var state = await throttle.CheckKeyAsync(TwoFactorCodes.ThrottleKey(userId), cancellationToken);
        if (state.RetryAfter is { } retryAfter)
        {
            events.TwoFactorThrottled(userId);
            return new(null, RetryAfter: retryAfter);
        }

        var user = await db.Users.SingleAsync(u => u.Id == userId, cancellationToken);
        if (user.TwoFactorEnabled)
        {
            return new(null, AlreadyOn);
        }

        if (!await db.Set<Authenticator>().AnyAsync(a => a.UserId == userId, cancellationToken))
        {
            return new(null, new TwoFactorRefusal(null, "There is no authenticator waiting to be enabled: set one up first."));
        }

        if (await codes.SpendAsync(userId, code, cancellationToken) != CodeCheck.AuthenticatorCode)
        {
            await throttle.RecordFailureAsync(state);
            events.TwoFactorChangeRefused(userId, "enable");
            return new(null, WrongCode);
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        user.TwoFactorEnabled = true;
        var set = ReplaceRecoveryCodes(userId);
        mail.Enabled(user.Email);
        await db.SaveChangesAsync(cancellationToken);
        await ForgetFailuresAsync(state);
        await transaction.CommitAsync(cancellationToken);
        events.TwoFactorEnabled(userId);
        return new(set);
    }

    /// <summary>Turns two-factor sign-in off: the secret and the recovery codes are deleted, and every other session ends.</summary>
    public Task<TwoFactorResult<RecoveryCodeSet>> DisableAsync(Guid userId, string password, string code, Guid? callerSession, CancellationToken cancellationToken) =>
        GuardedAsync<RecoveryCodeSet>(userId, password, code, mustBeOn: true, "disable", async user =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            await RemoveAsync(user, cancellationToken);
            mail.Disabled(user.Email);
            await db.SaveChangesAsync(cancellationToken);
            // Whoever else is signed in may have got in through the factor just removed.
            await sessions.EndAllButAsync(userId, callerSession, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            events.TwoFactorDisabled(userId, userId);
            return new RecoveryCodeSet([]);
        }, cancellationToken);

    /// <summary>A new set of recovery codes; the old set stops working.</summary>
    public Task<TwoFactorResult<RecoveryCodeSet>> RenewRecoveryCodesAsync(Guid userId, string password, string code, CancellationToken cancellationToken) =>
        GuardedAsync(userId, password, code, mustBeOn: true, "recovery-codes", async user =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            await db.Set<RecoveryCode>().Where(c => c.UserId == userId).ExecuteDeleteAsync(cancellationToken);
            var set = ReplaceRecoveryCodes(userId);
            mail.RecoveryCodesRenewed(user.Email);
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            events.RecoveryCodesRenewed(userId);
            return set;
        }, cancellationToken);

#if (Rbac)
    /// <summary>
    /// An admin turns a user's two-factor sign-in off (a lost phone and lost codes): the user's sessions end and the
    /// user gets a notice. False when no user has the id.
    /// </summary>
    public async Task<bool> ResetAsync(Guid targetUserId, Guid adminId, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var user = await db.Users.SingleOrDefaultAsync(u => u.Id == targetUserId, cancellationToken);
        if (user is null)
        {
            return false;
        }

        var wasOn = user.TwoFactorEnabled;
        await RemoveAsync(user, cancellationToken);
        if (wasOn)
        {
            mail.DisabledByAdmin(user.Email);
            await db.SaveChangesAsync(cancellationToken);
            await sessions.EndAllAsync(targetUserId, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        if (wasOn)
        {
            events.TwoFactorDisabled(adminId, targetUserId);
        }

        return true;
    }
#endif

    /// <summary>
    /// The checks every change but enabling starts with, in this order: the account's throttle, the state the change
    /// needs, the password, then the code (a TOTP or a recovery code); a wrong password or code counts against the account.
    /// </summary>
    private async Task<TwoFactorResult<T>> GuardedAsync<T>(
        Guid userId, string password, string? code, bool mustBeOn, string change, Func<User, Task<T>> apply, CancellationToken cancellationToken)
        where T : class
    {
        var state = await throttle.CheckKeyAsync(TwoFactorCodes.ThrottleKey(userId), cancellationToken);
        if (state.RetryAfter is { } retryAfter)
        {
            events.TwoFactorThrottled(userId);
            return new(null, RetryAfter: retryAfter);
        }

        var user = await db.Users.SingleAsync(u => u.Id == userId, cancellationToken);
        if (user.TwoFactorEnabled != mustBeOn)
        {
            return new(null, mustBeOn ? NotOn : AlreadyOn);
        }

        var refusal = !passwords.Verify(password, user.PasswordHash)
            ? WrongPassword
            : code is not null && await codes.SpendAsync(userId, code, cancellationToken) == CodeCheck.Wrong
                ? WrongCode
                : null;
        if (refusal is not null)
        {
            await throttle.RecordFailureAsync(state);
            events.TwoFactorChangeRefused(userId, change);
            return new(null, refusal);
        }

        var result = await apply(user);
        await ForgetFailuresAsync(state);
        return new(result);
    }

    private Task ForgetFailuresAsync(LoginThrottleState state) => state.HasFailures ? throttle.ClearAsync(state) : Task.CompletedTask;

    private RecoveryCodeSet ReplaceRecoveryCodes(Guid userId)
    {
        var (shown, hashes) = recoveryCodes.NewSet();
        db.AddRange(hashes.Select(hash => new RecoveryCode { UserId = userId, CodeHash = hash }));
        return new RecoveryCodeSet(shown);
    }

    private async Task RemoveAsync(User user, CancellationToken cancellationToken)
    {
        await db.Set<Authenticator>().Where(a => a.UserId == user.Id).ExecuteDeleteAsync(cancellationToken);
        await db.Set<RecoveryCode>().Where(c => c.UserId == user.Id).ExecuteDeleteAsync(cancellationToken);
        user.TwoFactorEnabled = false;
        await db.SaveChangesAsync(cancellationToken);
    }
}
