using Contoso.Orders.Api.Auth;
using Contoso.Orders.Api.Data;
using Contoso.Orders.Api.Security;
using Microsoft.EntityFrameworkCore;

namespace Contoso.Orders.Api.TwoFactor;

/// <summary>
/// The second step of a login: an <c>mfaToken</c> and a code (from the authenticator app, or a recovery code) for
/// tokens. Decided in one transaction that holds the challenge's row, so that a token is spent once however many
/// requests carry it.
/// </summary>
public sealed class TwoFactorLogin(
    AppDbContext db, TwoFactorChallenges challenges, TwoFactorCodes codes, LoginThrottle throttle, TokenIssuer tokens, TwoFactorMail mail,
    SecurityEvents events)
{
    public async Task<LoginResult> CompleteAsync(string mfaToken, string code, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var challenge = await challenges.LockLiveAsync(mfaToken, cancellationToken);
        if (challenge is null)
        {
            events.LoginFailed(null, LoginFailureReason.UnknownChallenge);
            return new LoginResult(LoginOutcome.InvalidCredentials);
        }

        var state = await throttle.CheckKeyAsync(TwoFactorCodes.ThrottleKey(challenge.UserId), cancellationToken);
        if (state.RetryAfter is { } retryAfter)
        {
            events.TwoFactorThrottled(challenge.UserId);
            return new LoginResult(LoginOutcome.Throttled, RetryAfter: retryAfter);
        }

        var user = await db.Users.SingleAsync(u => u.Id == challenge.UserId, cancellationToken);
        // Deactivated, or two-factor sign-in turned off, since the password was checked: the login starts over.
        if (!user.IsActive || !user.TwoFactorEnabled)
        {
            challenges.Spend(challenge);
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            events.LoginFailed(user.Id, LoginFailureReason.Deactivated);
            return new LoginResult(LoginOutcome.InvalidCredentials);
        }

        var check = await codes.SpendAsync(user.Id, code, cancellationToken);
        if (check == CodeCheck.Wrong)
        {
            // Not cancellable: a client that hangs up after a wrong code must not escape the count.
            challenges.CountWrongCode(challenge);
            await db.SaveChangesAsync(CancellationToken.None);
            await throttle.RecordFailureAsync(state);
            await transaction.CommitAsync(CancellationToken.None);
            events.LoginFailed(user.Id, LoginFailureReason.WrongCode);
            return new LoginResult(LoginOutcome.InvalidCredentials);
        }

        challenges.Spend(challenge);
        var codesLeft = check == CodeCheck.RecoveryCode ? await codes.RecoveryCodesLeftAsync(user.Id, cancellationToken) : 0;
        if (check == CodeCheck.RecoveryCode)
        {
            mail.SignedInWithRecoveryCode(user.Email, codesLeft);
        }

        await db.SaveChangesAsync(cancellationToken);
        if (state.HasFailures)
        {
            await throttle.ClearAsync(state);
        }

        var issued = await tokens.IssueAsync(user, SignIn.AfterSecondFactor(challenge.FirstFactor), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        if (check == CodeCheck.RecoveryCode)
        {
            events.LoginSucceededWithRecoveryCode(user.Id);
        }
        else
        {
            events.LoginSucceeded(user.Id);
        }

        return new LoginResult(LoginOutcome.Success, issued);
    }
}
