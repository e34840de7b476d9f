using System.Security.Cryptography;
using System.Text;
using Contoso.Orders.Api.Data;
using Contoso.Orders.Api.Domain;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Contoso.Orders.Api.RefreshTokens;

public sealed record IssuedRefreshToken(string Token, int ExpiresInSeconds);

/// <summary>A successful rotation: the token's user (loaded with the token, so the caller needs no second query) and the successor.</summary>
public sealed record RotatedRefreshToken(User User, IssuedRefreshToken Token);

/// <summary>Issues, rotates and revokes refresh tokens: 256 random bits, opaque, stored only as SHA-256 hashes.</summary>
public sealed class RefreshTokenStore(AppDbContext db, IOptions<RefreshTokenSettings> settings, TimeProvider time)
{
    private TimeSpan Lifetime => TimeSpan.FromDays(settings.Value.RefreshTokenDays);

    private DbSet<RefreshToken> Tokens => db.Set<RefreshToken>();

    /// <summary>A login: the first token of a new family.</summary>
    public async Task<IssuedRefreshToken> StartFamilyAsync(Guid userId, CancellationToken cancellationToken)
    {
        var issued = Add(userId, familyId: Guid.CreateVersion7());
        await db.SaveChangesAsync(cancellationToken);
        return issued;
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
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);

        // The row lock makes a second concurrent refresh of the same token wait, then see it spent.
        var token = await Tokens
            .FromSql($"SELECT * FROM refresh_tokens WHERE token_hash = {hash} FOR UPDATE")
            .Include(t => t.User)
            .SingleOrDefaultAsync(cancellationToken);
        if (token is null || token.RevokedAt is not null || token.ExpiresAt <= now)
        {
            return null;
        }

        if (token.SpentAt is not null || token.User is not { IsActive: true })
        {
            await RevokeFamilyAsync(token.FamilyId, now, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return null;
        }

        token.SpentAt = now;
        var successor = Add(token.UserId, token.FamilyId);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new RotatedRefreshToken(token.User, successor);
    }

    /// <summary>A logout: revokes the presented token's family. Unknown tokens are ignored.</summary>
    public async Task RevokeFamilyOfAsync(string presentedToken, CancellationToken cancellationToken)
    {
        var hash = Hash(presentedToken);
        var familyId = await Tokens.Where(t => t.TokenHash == hash).Select(t => (Guid?)t.FamilyId).SingleOrDefaultAsync(cancellationToken);
        if (familyId is { } family)
        {
            await RevokeFamilyAsync(family, time.GetUtcNow(), cancellationToken);
        }
    }

    /// <summary>Logout everywhere, a password change or a deactivation: revokes every family of the user.</summary>
    public Task RevokeAllAsync(Guid userId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        return Tokens.Where(t => t.UserId == userId && t.RevokedAt == null)
            .ExecuteUpdateAsync(update => update.SetProperty(t => t.RevokedAt, now), cancellationToken);
    }

    /// <summary>Deletes rows that expired or were revoked longer ago than the retention period.</summary>
    public Task<int> PruneAsync(CancellationToken cancellationToken)
    {
        var cutoff = time.GetUtcNow() - TimeSpan.FromDays(settings.Value.RetentionDays);
        return Tokens.Where(t => t.ExpiresAt < cutoff || t.RevokedAt < cutoff).ExecuteDeleteAsync(cancellationToken);
    }

    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    private IssuedRefreshToken Add(Guid userId, Guid familyId)
    {
        var token = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        var now = time.GetUtcNow();
        Tokens.Add(new RefreshToken
        {
            UserId = userId,
            FamilyId = familyId,
            TokenHash = Hash(token),
            CreatedAt = now,
            ExpiresAt = now + Lifetime,
        });
        return new IssuedRefreshToken(token, (int)Lifetime.TotalSeconds);
    }

    private Task RevokeFamilyAsync(Guid familyId, DateTimeOffset now, CancellationToken cancellationToken) =>
        Tokens.Where(t => t.FamilyId == familyId && t.RevokedAt == null)
            .ExecuteUpdateAsync(update => update.SetProperty(t => t.RevokedAt, now), cancellationToken);
}
