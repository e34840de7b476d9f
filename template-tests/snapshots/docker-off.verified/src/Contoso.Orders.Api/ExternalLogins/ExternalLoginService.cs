using Contoso.Orders.Api.Auth;
using Contoso.Orders.Api.Data;
using Contoso.Orders.Api.Passkeys;
using Contoso.Orders.Api.Security;
using Contoso.Orders.Api.TwoFactor;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Contoso.Orders.Api.ExternalLogins;

public sealed record ExternalLoginResponse(string Provider, DateTimeOffset CreatedAt);

public enum LinkOutcome
{
    Linked,

    /// <summary>The code is unknown, expired, spent, or another user's.</summary>
    UnknownCode,

    /// <summary>The identity belongs to an account already, or this account is linked to another identity at the provider.</summary>
    AlreadyLinked,
}

public enum UnlinkOutcome
{
    Unlinked,
    WrongPassword,
    Throttled,
    NotFound,

    /// <summary>The link is the account's last way to sign in.</summary>
    LastWayToSignIn,
}

public sealed record UnlinkResult(UnlinkOutcome Outcome, TimeSpan? RetryAfter = null, string? Refusal = null);

/// <summary>
/// A user's links to providers: listing them, linking another (a flow like a sign-in's, begun by the signed-in user)
/// and unlinking one. Both changes need the password in the same request when the account has one (ASVS 7.5.1): a
/// stolen access token alone must not plant a way in that outlives it. Wrong passwords count against the account
/// like wrong two-factor codes.
/// </summary>
public sealed class ExternalLoginService(
    AppDbContext db, ExternalSignIn signIn, ExternalLoginFlows flows, OpenIdProviders providers, PasswordHasher passwords, LoginThrottle throttle,
    ExternalLoginMail mail, SecurityEvents events)
{
    private DbSet<ExternalLogin> Logins => db.Set<ExternalLogin>();

    public async Task<List<ExternalLoginResponse>> ListAsync(Guid userId, CancellationToken cancellationToken) =>
        await Logins.AsNoTracking().Where(l => l.UserId == userId).OrderBy(l => l.CreatedAt)
            .Select(l => new ExternalLoginResponse(l.Provider, l.CreatedAt)).ToListAsync(cancellationToken);

    /// <summary>A link flow for the user, or why not; the wait, instead, when the account's attempts are throttled.</summary>
    public async Task<(ExternalLoginStart? Start, TimeSpan? RetryAfter)> BeginLinkAsync(
        Guid userId, string providerName, string? password, string? returnUrl, CancellationToken cancellationToken)
    {
        var check = await CheckPasswordAsync(userId, password, "POST /api/v1/users/me/logins/{provider}/start", cancellationToken);
        if (check.RetryAfter is not null)
        {
            return (null, check.RetryAfter);
        }

        // Every field's problem at once: the password's, and the provider's and return URL's.
        var problems = signIn.Problems(providerName, returnUrl);
        if (check.Refusal is { } refusal)
        {
            problems["password"] = [refusal];
        }

        if (problems.Count > 0)
        {
            return (new ExternalLoginStart(null, Problems: problems), null);
        }

        return (await signIn.StartAsync(providerName, returnUrl, userId, cancellationToken), null);
    }

    /// <summary>
    /// Links the identity a link's code carries, when the code is the caller's: a link begun by someone else and sent
    /// to the caller's browser ends here, refused, and spent.
    /// </summary>
    public async Task<(LinkOutcome Outcome, ExternalLoginResponse? Login)> ConfirmLinkAsync(Guid userId, string code, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var issued = await flows.TakeCodeAsync(code, forLink: true, cancellationToken);
        if (issued is null || issued.UserId != userId)
        {
            await transaction.CommitAsync(cancellationToken);
            events.ExternalLoginChangeRefused(userId, "POST /api/v1/users/me/logins");
            return (LinkOutcome.UnknownCode, null);
        }

        var taken = await Logins.AnyAsync(
            l => (l.Issuer == issued.Issuer && l.Subject == issued.Subject) || (l.UserId == userId && l.Provider == issued.Provider), cancellationToken);
        if (!taken)
        {
            var user = await db.Users.SingleAsync(u => u.Id == userId, cancellationToken);
            signIn.Link(user, issued.Provider, providers.Find(issued.Provider)?.DisplayName ?? issued.Provider, issued.Issuer!, issued.Subject!);
            try
            {
                await db.SaveChangesAsync(cancellationToken);
            }
            catch (DbUpdateException exception) when (exception.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
            {
                // Linked by another request between the check and the insert. The failed statement ended the
                // transaction, and the code's deletion with it: the code stays until it lapses, refused like this.
                db.ChangeTracker.Clear();
                events.ExternalLoginChangeRefused(userId, "POST /api/v1/users/me/logins");
                return (LinkOutcome.AlreadyLinked, null);
            }
        }

        if (taken)
        {
            // The code is spent all the same: a refused link is not tried again with it.
            await transaction.CommitAsync(cancellationToken);
            events.ExternalLoginChangeRefused(userId, "POST /api/v1/users/me/logins");
            return (LinkOutcome.AlreadyLinked, null);
        }

        await transaction.CommitAsync(cancellationToken);
        var login = await Logins.AsNoTracking().SingleAsync(l => l.UserId == userId && l.Provider == issued.Provider, cancellationToken);
        return (LinkOutcome.Linked, new ExternalLoginResponse(login.Provider, login.CreatedAt));
    }

    public async Task<UnlinkResult> UnlinkAsync(Guid userId, string providerName, string? password, CancellationToken cancellationToken)
    {
        var check = await CheckPasswordAsync(userId, password, "DELETE /api/v1/users/me/logins/{provider}", cancellationToken);
        if (check.RetryAfter is { } retryAfter)
        {
            return new UnlinkResult(UnlinkOutcome.Throttled, retryAfter);
        }

        if (check.Refusal is { } refusal)
        {
            return new UnlinkResult(UnlinkOutcome.WrongPassword, Refusal: refusal);
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // Held until the end, so that two unlinks at once cannot each see the other's link and leave none.
        var user = await db.Users.FromSql($"SELECT * FROM users WHERE id = {userId} FOR UPDATE").SingleAsync(cancellationToken);
        var login = await Logins.SingleOrDefaultAsync(l => l.UserId == userId && l.Provider == providerName, cancellationToken);
        if (login is null)
        {
            return new UnlinkResult(UnlinkOutcome.NotFound);
        }

        var otherWays = (user.PasswordHash is null ? 0 : 1)
            + await db.Set<Passkey>().CountAsync(p => p.UserId == userId, cancellationToken)
            + await Logins.CountAsync(l => l.UserId == userId && l.Id != login.Id, cancellationToken);
        if (otherWays == 0)
        {
            events.ExternalLoginChangeRefused(userId, "DELETE /api/v1/users/me/logins/{provider}");
            return new UnlinkResult(UnlinkOutcome.LastWayToSignIn);
        }

        Logins.Remove(login);
        mail.Unlinked(user.Email, providers.Find(providerName)?.DisplayName ?? providerName);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        events.ExternalLoginUnlinked(userId, providerName);
        return new UnlinkResult(UnlinkOutcome.Unlinked);
    }

    /// <summary>What to tell the user about the password (null when it may go on), or how long the account is throttled.</summary>
    private sealed record PasswordCheck(string? Refusal, TimeSpan? RetryAfter = null);

    private static readonly PasswordCheck Passed = new(Refusal: null);

    /// <summary>
    /// The account's throttle, then the password, when the account has one (one made by external sign-in has none
    /// until it sets one). A wrong one counts against the account, under the two-factor codes' key, and is logged.
    /// </summary>
    private async Task<PasswordCheck> CheckPasswordAsync(Guid userId, string? password, string resource, CancellationToken cancellationToken)
    {
        var passwordHash = await db.Users.Where(u => u.Id == userId).Select(u => u.PasswordHash).SingleAsync(cancellationToken);
        if (passwordHash is null)
        {
            return Passed;
        }

        if (string.IsNullOrEmpty(password))
        {
            return new PasswordCheck("Password is required: the account's password, again.");
        }

        var state = await throttle.CheckKeyAsync(TwoFactorCodes.ThrottleKey(userId), cancellationToken);
        if (state.RetryAfter is { } retryAfter)
        {
            events.TwoFactorThrottled(userId);
            return new PasswordCheck(null, retryAfter);
        }

        if (!passwords.Verify(password, passwordHash))
        {
            await throttle.RecordFailureAsync(state);
            events.ExternalLoginChangeRefused(userId, resource);
            return new PasswordCheck("Password is incorrect.");
        }

        if (state.HasFailures)
        {
            await throttle.ClearAsync(state);
        }

        return Passed;
    }
}
