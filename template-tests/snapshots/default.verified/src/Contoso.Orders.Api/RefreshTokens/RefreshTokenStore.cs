using System.Security.Cryptography;
using System.Text;
using Contoso.Orders.Api.Configuration;
using Contoso.Orders.Api.Data;
using Contoso.Orders.Api.Domain;
using Contoso.Orders.Api.Security;
using Contoso.Orders.Api.Users;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Contoso.Orders.Api.RefreshTokens;

/// <summary>A refresh token as handed to the client, and the session (family) it belongs to.</summary>
public sealed record IssuedRefreshToken(string Token, int ExpiresInSeconds, Guid SessionId);

/// <summary>A successful rotation: the token's user (loaded with the token, so the caller needs no second query), the successor, and how the session began.</summary>
public sealed record RotatedRefreshToken(User User, IssuedRefreshToken Token, SignIn SignIn);

/// <summary>One live session of a user: a refresh-token family, described by its newest token.</summary>
public sealed record UserSession(Guid Id, DateTimeOffset CreatedAt, DateTimeOffset LastUsedAt, DateTimeOffset ExpiresAt, string? IpAddress, string? UserAgent);

/// <summary>
/// Issues, rotates and revokes refresh tokens: 256 random bits, opaque, stored only as SHA-256 hashes. Each family is
/// a session of the user, which can be listed and ended on its own.
/// </summary>
public sealed class RefreshTokenStore(
    AppDbContext db, IOptions<RefreshTokenSettings> settings, IOptions<JwtSettings> jwt, TimeProvider time, IHttpContextAccessor http,
    UserCacheCommits cachedUsers, SecurityEvents events) : IUserSessionStore
{
    private TimeSpan Lifetime => TimeSpan.FromDays(settings.Value.RefreshTokenDays);

    private DbSet<RefreshToken> Tokens => db.Set<RefreshToken>();

    private string? ClientAddress => http.HttpContext?.Connection.RemoteIpAddress?.ToString();

    private string? UserAgent => http.HttpContext?.Request.Headers.UserAgent.ToString() is { Length: > 0 } agent
        ? agent[..Math.Min(agent.Length, RefreshTokenConfiguration.UserAgentLength)]
        : null;

    /// <summary>A login: the first token of a new family, that is, a new session.</summary>
    public async Task<IssuedRefreshToken> StartFamilyAsync(Guid userId, SignIn signIn, CancellationToken cancellationToken)
    {
        // The family outlives its first token (the settings require it), so the first token gets the full lifetime.
        var now = time.GetUtcNow();
        var token = NewToken();
        var familyId = Guid.CreateVersion7();
        Tokens.Add(new RefreshToken
        {
            UserId = userId,
            FamilyId = familyId,
            TokenHash = Hash(token),
            CreatedAt = now,
            ExpiresAt = now + Lifetime,
            FamilyExpiresAt = now + TimeSpan.FromDays(settings.Value.RefreshTokenFamilyDays),
            SessionStartedAt = now,
            AuthenticationMethods = signIn.MethodsText,
            ClientAddress = ClientAddress,
            UserAgent = UserAgent,
        });
        await db.SaveChangesAsync(cancellationToken);
        events.RefreshFamilyCreated(userId, familyId);
        return new IssuedRefreshToken(token, (int)Lifetime.TotalSeconds, familyId);
    }

    /// <summary>
    /// Spends the presented token and issues its successor in the same family, or returns null when the token is
    /// unknown, expired, revoked, already spent, or its user is deactivated. A spent token presented again revokes
    /// its family, since either its holder or a thief is replaying it and the server cannot tell which.
    /// </summary>
    public async Task<RotatedRefreshToken?> RotateAsync(string presentedToken, CancellationToken cancellationToken)
    {
        var hash = Hash(presentedToken);
        var now = time.GetUtcNow();
        var successor = NewToken();

        // One statement, so one round trip and no transaction held open across round trips. It spends the token only
        // while the token is live and its user active, and inserts the successor in the same family, expiring no later
        // than the family does. Of two concurrent refreshes of one token, the second waits for the first's row lock,
        // then finds the token spent and matches nothing.
        var rotations = await db.Database.SqlQuery<Rotation>($"""
            WITH spent AS (
                UPDATE refresh_tokens AS t SET spent_at = {now}
                FROM users AS u
                WHERE t.token_hash = {hash} AND t.spent_at IS NULL AND t.revoked_at IS NULL AND t.expires_at > {now}
                  AND u.id = t.user_id AND u.is_active
                RETURNING t.user_id, t.family_id, t.family_expires_at, t.session_started_at, t.authentication_methods)
            INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, created_at, expires_at, family_expires_at,
                                        session_started_at, authentication_methods, client_address, user_agent)
            SELECT {Guid.CreateVersion7()}, user_id, family_id, {Hash(successor)}, {now}, LEAST({now + Lifetime}, family_expires_at), family_expires_at,
                   session_started_at, authentication_methods, {ClientAddress}, {UserAgent}
            FROM spent
            RETURNING user_id, family_id, expires_at, authentication_methods
            """).ToListAsync(cancellationToken);
        if (rotations is [var rotation])
        {
            var user = await db.Users.AsNoTracking().SingleAsync(u => u.Id == rotation.UserId, cancellationToken);
            return new RotatedRefreshToken(
                user,
                new IssuedRefreshToken(successor, (int)Math.Round((rotation.ExpiresAt - now).TotalSeconds), rotation.FamilyId),
                new SignIn(SignIn.ParseMethods(rotation.AuthenticationMethods), rotation.FamilyId));
        }

        // Refused: a replayed token, or one whose user was deactivated, takes its family down with it.
        var refused = await Tokens.AsNoTracking().Include(t => t.User)
            .SingleOrDefaultAsync(t => t.TokenHash == hash, cancellationToken);
        if (refused is { RevokedAt: null } && refused.ExpiresAt > now && (refused.SpentAt is not null || refused.User is not { IsActive: true }))
        {
            var revoked = await RevokeFamilyAsync(refused.UserId, refused.FamilyId, now, cancellationToken);
            if (refused.SpentAt is not null)
            {
                events.RefreshTokenReused(refused.UserId, refused.FamilyId);
            }
            else
            {
                events.RefreshFamilyRevoked(refused.UserId, refused.FamilyId, "user deactivated", revoked);
            }
        }

        return null;
    }

    /// <summary>A logout: ends the presented token's session. Unknown tokens are ignored.</summary>
    public async Task RevokeFamilyOfAsync(string presentedToken, CancellationToken cancellationToken)
    {
        var hash = Hash(presentedToken);
        var family = await Tokens.Where(t => t.TokenHash == hash).Select(t => new { t.UserId, t.FamilyId }).SingleOrDefaultAsync(cancellationToken);
        if (family is not null)
        {
            var revoked = await RevokeFamilyAsync(family.UserId, family.FamilyId, time.GetUtcNow(), cancellationToken);
            events.RefreshFamilyRevoked(family.UserId, family.FamilyId, "logout", revoked);
        }
    }

    /// <summary>The user's live sessions, newest first: one per family with an unspent, unrevoked, unexpired token.</summary>
    public Task<List<UserSession>> ListSessionsAsync(Guid userId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        return Tokens.AsNoTracking()
            .Where(t => t.UserId == userId && t.SpentAt == null && t.RevokedAt == null && t.ExpiresAt > now)
            .OrderByDescending(t => t.SessionStartedAt).ThenBy(t => t.FamilyId)
            .Select(t => new UserSession(t.FamilyId, t.SessionStartedAt, t.CreatedAt, t.ExpiresAt, t.ClientAddress, t.UserAgent))
            .ToListAsync(cancellationToken);
    }

    /// <summary>Ends one live session of the user; false when the user has no live session of that id.</summary>
    public async Task<bool> EndSessionAsync(Guid userId, Guid sessionId, CancellationToken cancellationToken)
    {
        var revoked = await RevokeFamilyAsync(userId, sessionId, time.GetUtcNow(), cancellationToken, onlyLive: true);
        if (revoked == 0)
        {
            return false;
        }

        events.RefreshFamilyRevoked(userId, sessionId, "session ended", revoked);
        return true;
    }

    /// <summary>
    /// Families revoked one by one while access tokens issued in them can still be unexpired (a token lives
    /// <c>Jwt:AccessTokenMinutes</c>, plus the clock skew that validation allows).
    /// </summary>
    public async Task<IReadOnlyCollection<Guid>> EndedSessionsAsync(Guid userId, CancellationToken cancellationToken)
    {
        var since = time.GetUtcNow() - jwt.Value.AccessTokenLifetime - JwtSettings.ClockSkew;
        return await Tokens.Where(t => t.UserId == userId && t.RevokedAt > since).Select(t => t.FamilyId).Distinct().ToListAsync(cancellationToken);
    }

    /// <summary>Every session of the user ends (see <see cref="UserSessions"/>): every family of the user is revoked.</summary>
    public async Task EndAllAsync(Guid userId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var revoked = await Tokens.Where(t => t.UserId == userId && t.RevokedAt == null)
            .ExecuteUpdateAsync(update => update.SetProperty(t => t.RevokedAt, now), cancellationToken);
        events.AllRefreshFamiliesRevoked(userId, revoked);
    }

    /// <summary>Every family of the user but the kept one is revoked, and their access tokens refused (see <see cref="EndedSessionsAsync"/>).</summary>
    public async Task EndAllButAsync(Guid userId, Guid? kept, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var revoked = await Tokens.Where(t => t.UserId == userId && t.RevokedAt == null && t.FamilyId != kept)
            .ExecuteUpdateAsync(update => update.SetProperty(t => t.RevokedAt, now), cancellationToken);
        if (revoked > 0)
        {
            await cachedUsers.AnnounceChangeAsync(db, userId, cancellationToken);
        }

        events.AllRefreshFamiliesRevoked(userId, revoked);
    }

    /// <summary>Deletes rows that expired or were revoked longer ago than the retention period.</summary>
    public Task<int> PruneAsync(CancellationToken cancellationToken)
    {
        var cutoff = time.GetUtcNow() - TimeSpan.FromDays(settings.Value.RetentionDays);
        return Tokens.Where(t => t.ExpiresAt < cutoff || t.RevokedAt < cutoff).ExecuteDeleteAsync(cancellationToken);
    }

    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    private static string NewToken() => Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));

    private sealed record Rotation(Guid UserId, Guid FamilyId, DateTimeOffset ExpiresAt, string AuthenticationMethods);

    /// <summary>
    /// Revokes the family's tokens and, when any was still unrevoked, has every replica drop its copy of the user, so
    /// that the access tokens of the session are refused from the next request on (see <see cref="EndedSessionsAsync"/>).
    /// </summary>
    private async Task<int> RevokeFamilyAsync(Guid userId, Guid familyId, DateTimeOffset now, CancellationToken cancellationToken, bool onlyLive = false)
    {
        var tokens = Tokens.Where(t => t.UserId == userId && t.FamilyId == familyId && t.RevokedAt == null);
        if (onlyLive && !await tokens.AnyAsync(t => t.SpentAt == null && t.ExpiresAt > now, cancellationToken))
        {
            return 0;
        }

        var revoked = await tokens.ExecuteUpdateAsync(update => update.SetProperty(t => t.RevokedAt, now), cancellationToken);
        if (revoked > 0)
        {
            await cachedUsers.AnnounceChangeAsync(db, userId, cancellationToken);
        }

        return revoked;
    }
}
