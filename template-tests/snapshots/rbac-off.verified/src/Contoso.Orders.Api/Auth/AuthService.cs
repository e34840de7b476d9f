using Contoso.Orders.Api.Account;
using Contoso.Orders.Api.Configuration;
using Contoso.Orders.Api.Data;
using Contoso.Orders.Api.Domain;
using Contoso.Orders.Api.Security;
using Contoso.Orders.Api.TwoFactor;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Contoso.Orders.Api.Auth;

public enum LoginOutcome
{
    Success,

    /// <summary>Unknown email, wrong password or deactivated account: one answer for all three.</summary>
    InvalidCredentials,

    /// <summary>The right password for an account whose address was never confirmed.</summary>
    EmailNotConfirmed,

    /// <summary>Too many failed logins for the email lately: refused without checking the password.</summary>
    Throttled,

    /// <summary>The right password for an account with two-factor sign-in: a code must follow, with the challenge's token.</summary>
    TwoFactorRequired,
}

public sealed record LoginResult(LoginOutcome Outcome, TokenResponse? Tokens = null, TimeSpan? RetryAfter = null, IssuedChallenge? Challenge = null);

public sealed class AuthService(
    AppDbContext db, PasswordHasher passwords, TokenIssuer tokens, AccountMail mail, LoginThrottle throttle, TwoFactorChallenges challenges,
    IOptions<AuthSettings> settings, SecurityEvents events)
{
    /// <summary>
    /// A new address gets an account and a confirmation email; an address that has one gets a notice to its owner
    /// instead. Both hash the password (the cost that dominates) and commit one transaction, so that neither the
    /// answer nor its timing tells them apart.
    /// </summary>
    public async Task RegisterAsync(string email, string password, CancellationToken cancellationToken)
    {
        var normalizedEmail = EmailAddress.Normalize(email);
        var owner = await db.Users.Where(u => u.NormalizedEmail == normalizedEmail).Select(u => u.Email).SingleOrDefaultAsync(cancellationToken);
        var passwordHash = passwords.Hash(password);
        if (owner is not null)
        {
            await NotifyOwnerAsync(owner, cancellationToken);
            return;
        }

        var user = new User { Email = email.Trim(), NormalizedEmail = normalizedEmail, PasswordHash = passwordHash };
        db.Users.Add(user);
        mail.Confirmation(email);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            events.UserRegistered(user.Id);
        }
        catch (DbUpdateException exception) when (exception.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            // Another request registered the same email between the check and the insert: answer as for an owner.
            db.ChangeTracker.Clear();
            await NotifyOwnerAsync(email.Trim(), cancellationToken);
        }
    }

    private Task NotifyOwnerAsync(string ownerEmail, CancellationToken cancellationToken)
    {
        mail.RegistrationAttemptNotice(ownerEmail);
        return db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>
    /// Tokens for valid credentials of an active, confirmed user; otherwise why not, as little as may be told. Every
    /// refusal of a well-formed email's credentials counts against it, known or not (see <see cref="LoginThrottle"/>).
    /// </summary>
    public async Task<LoginResult> LoginAsync(string email, string password, CancellationToken cancellationToken)
    {
        // An address that registration refuses belongs to no account: it is answered as an unknown one, in the same
        // time, and never sent to PostgreSQL (which cannot even compare text that holds NUL). No account can be
        // guessed at through it, so it is not counted either.
        if (EmailAddress.Problem(email) is not null)
        {
            passwords.VerifyAgainstDummy(password);
            events.LoginFailed(null, LoginFailureReason.MalformedEmail);
            return new LoginResult(LoginOutcome.InvalidCredentials);
        }

        // Checked before the account is even looked up, so that the answer and its timing are the same for every email.
        var state = await throttle.CheckAsync(email, cancellationToken);
        if (state.RetryAfter is { } retryAfter)
        {
            events.LoginThrottled(settings.Value.MaxFailedLoginsPerEmail);
            return new LoginResult(LoginOutcome.Throttled, RetryAfter: retryAfter);
        }

        var result = await CheckCredentialsAsync(email, password, cancellationToken);
        if (result.Outcome == LoginOutcome.InvalidCredentials)
        {
            await throttle.RecordFailureAsync(state);
        }
        else if (result.Outcome == LoginOutcome.Success && state.HasFailures)
        {
            await throttle.ClearAsync(state);
        }

        return result;
    }

    private async Task<LoginResult> CheckCredentialsAsync(string email, string password, CancellationToken cancellationToken)
    {
        var normalizedEmail = EmailAddress.Normalize(email);
        var user = await db.Users.SingleOrDefaultAsync(u => u.NormalizedEmail == normalizedEmail, cancellationToken);
        if (user is null)
        {
            passwords.VerifyAgainstDummy(password);
            events.LoginFailed(null, LoginFailureReason.UnknownAccount);
            return new LoginResult(LoginOutcome.InvalidCredentials);
        }

        // Verified even for a deactivated account, so that timing does not set it apart from a wrong password.
        if (!passwords.Verify(password, user.PasswordHash))
        {
            events.LoginFailed(user.Id, LoginFailureReason.WrongPassword);
            return new LoginResult(LoginOutcome.InvalidCredentials);
        }

        if (!user.IsActive)
        {
            events.LoginFailed(user.Id, LoginFailureReason.Deactivated);
            return new LoginResult(LoginOutcome.InvalidCredentials);
        }

        // Told only to whoever knows the password: to anyone else an unconfirmed account looks like any other.
        if (!user.EmailConfirmed && settings.Value.RequireConfirmedEmail)
        {
            events.LoginFailed(user.Id, LoginFailureReason.Unconfirmed);
            return new LoginResult(LoginOutcome.EmailNotConfirmed);
        }

        if (passwords.NeedsRehash(user.PasswordHash!))
        {
            user.PasswordHash = passwords.Hash(password);
            await db.SaveChangesAsync(cancellationToken);
        }

        if (user.TwoFactorEnabled)
        {
            return new LoginResult(LoginOutcome.TwoFactorRequired, Challenge: await challenges.StartAsync(user.Id, SignIn.WithPassword, cancellationToken));
        }

        var issued = await tokens.IssueAsync(user, SignIn.WithPassword, cancellationToken);
        events.LoginSucceeded(user.Id);
        return new LoginResult(LoginOutcome.Success, issued);
    }
}
