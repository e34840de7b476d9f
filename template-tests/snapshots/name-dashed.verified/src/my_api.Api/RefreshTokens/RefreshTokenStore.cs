using System.Security.Cryptography;
using System.Text;
using my_api.Api.Data;
using my_api.Api.Domain;
using my_api.Api.Security;
using my_api.Api.Users;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace my_api.Api.RefreshTokens;

public sealed record IssuedRefreshToken(string Token, int ExpiresInSeconds);

/// <summary>A successful rotation: the token's user (loaded with the token, so the caller needs no second query) and the successor.</summary>
public sealed record RotatedRefreshToken(User User, IssuedRefreshToken Token);

/// <summary>Issues, rotates and revokes refresh tokens: 256 random bits, opaque, stored only as SHA-256 hashes.</summary>
public sealed class RefreshTokenStore(AppDbContext db, IOptions<RefreshTokenSettings> settings, TimeProvider time, SecurityEvents events) : IUserSessionStore
{
    private TimeSpan Lifetime => TimeSpan.FromDays(settings.Value.RefreshTokenDays);

    private DbSet<RefreshToken> Tokens => db.Set<RefreshToken>();

    /// <summary>A login: the first token of a new family.</summary>
    public async Task<IssuedRefreshToken> StartFamilyAsync(Guid userId, CancellationToken cancellationToken)
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
        });
        await db.SaveChangesAsync(cancellationToken);
        events.RefreshFamilyCreated(userId, familyId);
        return new IssuedRefreshToken(token, (int)Lifetime.TotalSeconds);
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
                RETURNING t.user_id, t.family_id, t.family_expires_at)
            INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, created_at, expires_at, family_expires_at)
            SELECT {Guid.CreateVersion7()}, user_id, family_id, {Hash(successor)}, {now}, LEAST({now + Lifetime}, family_expires_at), family_expires_at
            FROM spent
            RETURNING user_id, expires_at
            """).ToListAsync(cancellationToken);
        if (rotations is [var rotation])
        {
            var user = await db.Users.AsNoTracking().SingleAsync(u => u.Id == rotation.UserId, cancellationToken);
            return new RotatedRefreshToken(user, new IssuedRefreshToken(successor, (int)Math.Round((rotation.ExpiresAt - now).TotalSeconds)));
        }

        // Refused: a replayed token, or one whose user was deactivated, takes its family down with it.
        var refused = await Tokens.AsNoTracking().Include(t => t.User)
            .SingleOrDefaultAsync(t => t.TokenHash == hash, cancellationToken);
        if (refused is { RevokedAt: null } && refused.ExpiresAt > now && (refused.SpentAt is not null || refused.User is not { IsActive: true }))
        {
            var revoked = await RevokeFamilyAsync(refused.FamilyId, now, cancellationToken);
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

    /// <summary>A logout: revokes the presented token's family. Unknown tokens are ignored.</summary>
    public async Task RevokeFamilyOfAsync(string presentedToken, CancellationToken cancellationToken)
    {
        var hash = Hash(presentedToken);
        var family = await Tokens.Where(t => t.TokenHash == hash).Select(t => new { t.UserId, t.FamilyId }).SingleOrDefaultAsync(cancellationToken);
        if (family is not null)
        {
            var revoked = await RevokeFamilyAsync(family.FamilyId, time.GetUtcNow(), cancellationToken);
            events.RefreshFamilyRevoked(family.UserId, family.FamilyId, "logout", revoked);
        }
    }

    /// <summary>Every session of the user ends (see <see cref="UserSessions"/>): every family of the user is revoked.</summary>
    public async Task EndAllAsync(Guid userId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var revoked = await Tokens.Where(t => t.UserId == userId && t.RevokedAt == null)
            .ExecuteUpdateAsync(update => update.SetProperty(t => t.RevokedAt, now), cancellationToken);
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

    private sealed record Rotation(Guid UserId, DateTimeOffset ExpiresAt);

    private Task<int> RevokeFamilyAsync(Guid familyId, DateTimeOffset now, CancellationToken cancellationToken) =>
        Tokens.Where(t => t.FamilyId == familyId && t.RevokedAt == null)
            .ExecuteUpdateAsync(update => update.SetProperty(t => t.RevokedAt, now), cancellationToken);
}
