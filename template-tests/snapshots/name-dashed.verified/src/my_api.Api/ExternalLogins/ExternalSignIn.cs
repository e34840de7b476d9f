using System.Security.Cryptography;
using System.Text;
using my_api.Api.Auth;
using my_api.Api.Configuration;
using my_api.Api.Data;
using my_api.Api.Domain;
using my_api.Api.Passkeys;
using my_api.Api.Security;
using my_api.Api.TwoFactor;
using my_api.Api.Users;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Npgsql;

namespace my_api.Api.ExternalLogins;

/// <summary>
/// A flow begun: the provider's URL to send the browser to and, for a sign-in, the secret the browser keeps in a cookie
/// named after the flow; or the fields at fault and what to tell the user, or the provider out of reach.
/// </summary>
public sealed record ExternalLoginStart(
    string? AuthorizationUrl, Guid FlowId = default, string? BrowserBinding = null, Dictionary<string, string[]>? Problems = null, bool ProviderUnavailable = false);

/// <summary>
/// Signing in with an OpenID provider: the flow sent to the provider (authorization code with PKCE, <c>state</c> and
/// <c>nonce</c>), the browser's return (the code redeemed, the ID token checked, the identity matched to an account),
/// and the exchange of the one-time code the front end was handed for the API's own tokens. An account is found by
/// the identity it was linked to, never by an address alone, unless the provider is trusted with addresses.
/// </summary>
public sealed class ExternalSignIn(
    AppDbContext db, OpenIdProviders providers, ExternalLoginFlows flows, IOptions<ExternalLoginSettings> settings, IOptions<AuthSettings> authSettings,
    TokenIssuer tokens, TwoFactorChallenges challenges, UserSessions sessions, ExternalLoginMail mail, SecurityEvents events, ILogger<ExternalSignIn> logger)
{
    /// <summary>A new flow to <paramref name="providerName"/>: a sign-in, or (with <paramref name="userId"/>) a link to that user's account.</summary>
    public async Task<ExternalLoginStart> StartAsync(string providerName, string? returnUrl, Guid? userId, CancellationToken cancellationToken)
    {
        if (Problems(providerName, returnUrl) is { Count: > 0 } problems)
        {
            return new(null, Problems: problems);
        }

        var provider = providers.Find(providerName)!;
        var allowed = settings.Value.Allowed(returnUrl!)!;

        var state = ExternalLoginFlows.NewSecret();
        var nonce = ExternalLoginFlows.NewSecret();
        var codeVerifier = ExternalLoginFlows.NewSecret();
        var codeChallenge = Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(codeVerifier)));
        var url = await provider.AuthorizationUrlAsync(state, nonce, codeChallenge, cancellationToken);
        if (url is null)
        {
            return new(null, ProviderUnavailable: true);
        }

        // A link is bound to its user instead: the user confirms the link's code with their own token.
        var browserBinding = userId is null ? ExternalLoginFlows.NewSecret() : null;
        var flowId = await flows.StartAsync(state, provider.Name, allowed, codeVerifier, nonce, userId, browserBinding, cancellationToken);
        return new(url, flowId, browserBinding);
    }

    /// <summary>What is wrong with a flow's provider and return URL, by field; empty when nothing is.</summary>
    public Dictionary<string, string[]> Problems(string providerName, string? returnUrl) => ValidationErrors.Of(
        ("provider", providers.Find(providerName) is null ? "No provider of this name is configured: GET /api/v1/auth/external lists them." : null),
        ("returnUrl", string.IsNullOrEmpty(returnUrl) ? "returnUrl is required: the front-end page the sign-in returns to."
            : settings.Value.Allowed(returnUrl) is null ? "returnUrl must be an absolute URL under one of the API's allowed return URLs (ExternalLogin:AllowedReturnUrls)."
            : null));

    /// <summary>
    /// Finishes the flow <paramref name="state"/> names: where to send the browser (its return URL, with the outcome in
    /// the fragment); null when no live flow of the provider matches, or a sign-in comes back to another browser than
    /// the one that began it (<paramref name="browserBindingOf"/> reads the flow's cookie). The flow is spent whatever
    /// the outcome.
    /// </summary>
    public async Task<string?> CompleteAsync(
        string providerName, string? code, string? state, string? error, Func<Guid, string?> browserBindingOf, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(state) || state.Length > 512)
        {
            return null;
        }

        var flow = await flows.TakeAsync(providerName, state, cancellationToken);
        if (flow is null)
        {
            events.LoginFailed(null, LoginFailureReason.UnknownChallenge);
            return null;
        }

        if (flow.UserId is null && !ExternalLoginFlows.IsFromSameBrowser(flow, browserBindingOf(flow.Id)))
        {
            logger.LogWarning("A sign-in through {Provider} came back to another browser than the one that began it", flow.Provider);
            events.LoginFailed(null, LoginFailureReason.ExternalSignInRefused);
            return null;
        }

        return $"{flow.ReturnUrl}#{await OutcomeAsync(flow, code, error, cancellationToken)}";
    }

    private async Task<string> OutcomeAsync(ExternalLoginFlow flow, string? code, string? error, CancellationToken cancellationToken)
    {
        var provider = providers.Find(flow.Provider);
        if (provider is null || !string.IsNullOrEmpty(error))
        {
            logger.LogInformation("The provider {Provider} answered a sign-in with an error", flow.Provider);
            events.LoginFailed(flow.UserId, LoginFailureReason.ExternalSignInRefused);
            return Error(error == ExternalLoginErrors.AccessDenied ? ExternalLoginErrors.AccessDenied : ExternalLoginErrors.ProviderError);
        }

        if (string.IsNullOrEmpty(code) || code.Length > 4096)
        {
            events.LoginFailed(flow.UserId, LoginFailureReason.ExternalSignInRefused);
            return Error(ExternalLoginErrors.InvalidResponse);
        }

        var redemption = await provider.RedeemAsync(code, flow.CodeVerifier, flow.Nonce, cancellationToken);
        if (redemption.Identity is not { } identity)
        {
            events.LoginFailed(flow.UserId, LoginFailureReason.ExternalSignInRefused);
            return Error(redemption.Error!);
        }

        try
        {
            return flow.UserId is { } userId
                ? await LinkCodeAsync(userId, provider, identity, cancellationToken)
                : await SignInAsync(provider, identity, cancellationToken);
        }
        catch (DbUpdateException exception) when (exception.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            // Another request linked the identity, or made the account, between the look-up and the insert.
            db.ChangeTracker.Clear();
            return Error(ExternalLoginErrors.AlreadyLinked);
        }
    }

    private async Task<string> SignInAsync(OpenIdProvider provider, ExternalIdentity identity, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var linkedTo = await Logins.Where(l => l.Issuer == identity.Issuer && l.Subject == identity.Subject).Select(l => (Guid?)l.UserId).SingleOrDefaultAsync(cancellationToken);
        User user;
        if (linkedTo is { } userId)
        {
            user = await db.Users.SingleAsync(u => u.Id == userId, cancellationToken);
        }
        else if (!identity.EmailVerified || identity.Email is null || EmailAddress.Problem(identity.Email) is not null)
        {
            logger.LogInformation("A first sign-in through {Provider} came without a verified address", provider.Name);
            events.LoginFailed(null, LoginFailureReason.ExternalEmailNotVerified);
            return Error(ExternalLoginErrors.EmailNotVerified);
        }
        else
        {
            var normalizedEmail = EmailAddress.Normalize(identity.Email);
            var holder = await db.Users.SingleOrDefaultAsync(u => u.NormalizedEmail == normalizedEmail, cancellationToken);
            if (holder is not null && !provider.Settings.TrustEmail)
            {
                // Anyone can open an account at such a provider with any address: the address proves nothing here.
                logger.LogInformation("A first sign-in through {Provider} has the address of user {UserId}; the provider is not trusted with addresses", provider.Name, holder.Id);
                events.LoginFailed(holder.Id, LoginFailureReason.ExternalLinkRequired);
                return Error(ExternalLoginErrors.LinkRequired);
            }

            user = holder ?? NewAccount(identity.Email, normalizedEmail);
            if (holder is { EmailConfirmed: false })
            {
                await TakeOverUnprovenAccountAsync(holder, cancellationToken);
            }

            await AddLinkAsync(user, provider, identity, cancellationToken);
        }

        if (!user.IsActive || (!user.EmailConfirmed && authSettings.Value.RequireConfirmedEmail))
        {
            events.LoginFailed(user.Id, user.IsActive ? LoginFailureReason.Unconfirmed : LoginFailureReason.Deactivated);
            return Error(ExternalLoginErrors.SignInFailed);
        }

        var oneTimeCode = flows.IssueCode(user.Id, provider.Name);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return $"code={oneTimeCode}";
    }

    private User NewAccount(string email, string normalizedEmail)
    {
        // No password: its owner signs in through the provider, or sets one through forgot-password.
        var user = new User { Email = email.Trim(), NormalizedEmail = normalizedEmail, PasswordHash = null, EmailConfirmed = true };
        db.Users.Add(user);
        return user;
    }

    /// <summary>
    /// A trusted provider vouches for the address of an account whose address was never confirmed: whoever made the
    /// account never proved the mailbox, and may be someone waiting for its owner to arrive. Everything they could
    /// have set goes (password, sessions, factors, other links) before the owner's identity is linked.
    /// </summary>
    private async Task TakeOverUnprovenAccountAsync(User user, CancellationToken cancellationToken)
    {
        user.PasswordHash = null;
        user.EmailConfirmed = true;
        user.TwoFactorEnabled = false;
        await db.SaveChangesAsync(cancellationToken);
        await db.Set<Authenticator>().Where(a => a.UserId == user.Id).ExecuteDeleteAsync(cancellationToken);
        await db.Set<RecoveryCode>().Where(c => c.UserId == user.Id).ExecuteDeleteAsync(cancellationToken);
        await db.Set<Passkey>().Where(p => p.UserId == user.Id).ExecuteDeleteAsync(cancellationToken);
        await Logins.Where(l => l.UserId == user.Id).ExecuteDeleteAsync(cancellationToken);
        await sessions.EndAllAsync(user.Id, cancellationToken);
        logger.LogWarning("User {UserId}, whose address was never confirmed, was claimed through a trusted provider: its password, factors and sessions were removed", user.Id);
    }

    /// <summary>
    /// A link's return: a code for the identity, which the user who began the link confirms with their own token
    /// (<see cref="ExternalLoginService.ConfirmLinkAsync"/>); refused at once when the identity is taken.
    /// </summary>
    private async Task<string> LinkCodeAsync(Guid userId, OpenIdProvider provider, ExternalIdentity identity, CancellationToken cancellationToken)
    {
        var holder = await Logins.Where(l => l.Issuer == identity.Issuer && l.Subject == identity.Subject).Select(l => (Guid?)l.UserId).SingleOrDefaultAsync(cancellationToken);
        if ((holder is not null && holder != userId) || (holder is null && await Logins.AnyAsync(l => l.UserId == userId && l.Provider == provider.Name, cancellationToken)))
        {
            events.ExternalLoginChangeRefused(userId, "GET /api/v1/auth/external/{provider}/callback");
            return Error(ExternalLoginErrors.AlreadyLinked);
        }

        var code = flows.IssueCode(userId, provider.Name, identity);
        await db.SaveChangesAsync(cancellationToken);
        return $"link_code={code}";
    }

    /// <summary>Links the identity to the account (a new one, too), with the owner's notice; saved by the caller.</summary>
    private async Task AddLinkAsync(User user, OpenIdProvider provider, ExternalIdentity identity, CancellationToken cancellationToken)
    {
        if (db.Entry(user).State == EntityState.Added)
        {
            // The account's row first, so that its id is known to the link's foreign key and the event names it.
            await db.SaveChangesAsync(cancellationToken);
            events.UserRegistered(user.Id);
            Logins.Add(new ExternalLogin { UserId = user.Id, Provider = provider.Name, Issuer = identity.Issuer, Subject = identity.Subject });
            events.ExternalLoginLinked(user.Id, provider.Name);
            return;
        }

        Link(user, provider.Name, provider.DisplayName, identity.Issuer, identity.Subject);
    }

    /// <summary>Adds the link and the owner's notice to the caller's unit of work, and logs it.</summary>
    internal void Link(User user, string provider, string displayName, string issuer, string subject)
    {
        Logins.Add(new ExternalLogin { UserId = user.Id, Provider = provider, Issuer = issuer, Subject = subject });
        mail.Linked(user.Email, displayName);
        events.ExternalLoginLinked(user.Id, provider);
    }

    /// <summary>
    /// Tokens for a live one-time code; or, for an account with two-factor sign-in and a provider that does not
    /// satisfy it, the challenge a code must answer (as after a password).
    /// </summary>
    public async Task<LoginResult> ExchangeAsync(string code, CancellationToken cancellationToken)
    {
        var issued = await flows.TakeCodeAsync(code, forLink: false, cancellationToken);
        if (issued is null)
        {
            events.LoginFailed(null, LoginFailureReason.UnknownChallenge);
            return new LoginResult(LoginOutcome.InvalidCredentials);
        }

        var user = await db.Users.SingleAsync(u => u.Id == issued.UserId, cancellationToken);
        if (!user.IsActive || (!user.EmailConfirmed && authSettings.Value.RequireConfirmedEmail))
        {
            events.LoginFailed(user.Id, user.IsActive ? LoginFailureReason.Unconfirmed : LoginFailureReason.Deactivated);
            return new LoginResult(LoginOutcome.InvalidCredentials);
        }

        var satisfiesTwoFactor = providers.Find(issued.Provider)?.Settings.SatisfiesTwoFactor == true;
        if (user.TwoFactorEnabled && !satisfiesTwoFactor)
        {
            return new LoginResult(LoginOutcome.TwoFactorRequired, Challenge: await challenges.StartAsync(user.Id, SignIn.WithProvider(false), cancellationToken));
        }

        var tokensIssued = await tokens.IssueAsync(user, SignIn.WithProvider(satisfiesTwoFactor), cancellationToken);
        events.LoginSucceeded(user.Id);
        return new LoginResult(LoginOutcome.Success, tokensIssued);
    }

    private DbSet<ExternalLogin> Logins => db.Set<ExternalLogin>();

    private static string Error(string error) => $"error={error}";
}
