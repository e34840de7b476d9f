using System.Security.Cryptography;
using System.Text;
using Contoso.Orders.Api.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.Tokens;

namespace Contoso.Orders.Api.ExternalLogins;

/// <summary>
/// The flows sent to providers and the one-time codes handed to front ends, in PostgreSQL so that the browser's
/// return and the front end's exchange may reach any replica. Each is taken by one <c>DELETE ... RETURNING</c>, so
/// that of two requests carrying the same state or code only one gets it.
/// </summary>
public sealed class ExternalLoginFlows(AppDbContext db, TimeProvider time)
{
    /// <summary>The name of the pruning round's advisory lock (see <see cref="SingleReplicaRound"/>).</summary>
    public const string PruningWork = "external login flow pruning";

    /// <summary>256 random bits, base64url: a state, a nonce, a PKCE verifier (43 characters, RFC 7636 4.1) or a code.</summary>
    public static string NewSecret() => Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));

    /// <summary>Keeps a new flow; returns its id (which names the browser's cookie, for a sign-in).</summary>
    public async Task<Guid> StartAsync(
        string state, string provider, string returnUrl, string codeVerifier, string nonce, Guid? userId, string? browserBinding, CancellationToken cancellationToken)
    {
        var flow = new ExternalLoginFlow
        {
            StateHash = Hash(state),
            Provider = provider,
            ReturnUrl = returnUrl,
            CodeVerifier = codeVerifier,
            Nonce = nonce,
            UserId = userId,
            BrowserBindingHash = browserBinding is null ? null : Hash(browserBinding),
            ExpiresAt = time.GetUtcNow() + ExternalLoginSettings.FlowLifetime,
        };
        db.Set<ExternalLoginFlow>().Add(flow);
        await db.SaveChangesAsync(cancellationToken);
        return flow.Id;
    }

    /// <summary>True when <paramref name="browserBinding"/> is the secret of the browser that began the flow.</summary>
    public static bool IsFromSameBrowser(ExternalLoginFlow flow, string? browserBinding) =>
        flow.BrowserBindingHash is { } expected && browserBinding is { Length: > 0 and <= 128 }
        && CryptographicOperations.FixedTimeEquals(expected, Hash(browserBinding));

    /// <summary>The live flow of <paramref name="provider"/> that <paramref name="state"/> names, deleted as it is read; null when there is none.</summary>
    public async Task<ExternalLoginFlow?> TakeAsync(string provider, string state, CancellationToken cancellationToken)
    {
        var hash = Hash(state);
        var now = time.GetUtcNow();
        var taken = await db.Set<ExternalLoginFlow>()
            .FromSql($"DELETE FROM external_login_flows WHERE state_hash = {hash} AND provider = {provider} AND expires_at > {now} RETURNING *")
            .AsNoTracking()
            .ToListAsync(cancellationToken);
        return taken is [var flow] ? flow : null;
    }

    /// <summary>
    /// A new one-time code for the user's sign-in through the provider, or (with <paramref name="linking"/>) for linking
    /// that identity to the user's account; added to the caller's unit of work.
    /// </summary>
    public string IssueCode(Guid userId, string provider, ExternalIdentity? linking = null)
    {
        var code = NewSecret();
        db.Set<ExternalLoginCode>().Add(new ExternalLoginCode
        {
            CodeHash = Hash(code),
            UserId = userId,
            Provider = provider,
            Issuer = linking?.Issuer,
            Subject = linking?.Subject,
            ExpiresAt = time.GetUtcNow() + ExternalLoginSettings.CodeLifetime,
        });
        return code;
    }

    /// <summary>
    /// The live code of a sign-in, or (<paramref name="forLink"/>) of a link, deleted as it is read; null when it is
    /// unknown, expired, spent or of the other kind.
    /// </summary>
    public async Task<ExternalLoginCode?> TakeCodeAsync(string code, bool forLink, CancellationToken cancellationToken)
    {
        if (code.Length > 128)
        {
            return null;
        }

        var hash = Hash(code);
        var now = time.GetUtcNow();
        var taken = await db.Set<ExternalLoginCode>()
            .FromSql($"DELETE FROM external_login_codes WHERE code_hash = {hash} AND (subject IS NOT NULL) = {forLink} AND expires_at > {now} RETURNING *")
            .AsNoTracking()
            .ToListAsync(cancellationToken);
        return taken is [var issued] ? issued : null;
    }

    /// <summary>Deletes lapsed flows and codes (in an <see cref="ExternalLoginFlowPruning"/> round); returns how many.</summary>
    public async Task<int> PruneAsync()
    {
        var now = time.GetUtcNow();
        return await db.Set<ExternalLoginFlow>().Where(f => f.ExpiresAt <= now).ExecuteDeleteAsync(CancellationToken.None)
            + await db.Set<ExternalLoginCode>().Where(c => c.ExpiresAt <= now).ExecuteDeleteAsync(CancellationToken.None);
    }

    private static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));
}

/// <summary>Deletes flows nobody finished and codes nobody exchanged, once per flow lifetime.</summary>
public sealed class ExternalLoginFlowPruning(IServiceScopeFactory scopes, ILogger<ExternalLoginFlowPruning> logger) : PeriodicPruning(scopes, logger)
{
    protected override TimeSpan Interval => ExternalLoginSettings.FlowLifetime;

    protected override string Work => ExternalLoginFlows.PruningWork;

    protected override string What => "lapsed external sign-in flows and codes";

    protected override Task<int> PruneAsync(IServiceProvider services) => services.GetRequiredService<ExternalLoginFlows>().PruneAsync();
}
