using System.Security.Cryptography;
using Contoso.Orders.Api.Data;
using Contoso.Orders.Api.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Contoso.Orders.Api.TwoFactor;

/// <summary>An <c>mfaToken</c> as handed to the client: 256 random bits, and seconds until it dies.</summary>
public sealed record IssuedChallenge(string MfaToken, int ExpiresInSeconds);

/// <summary>
/// The <c>mfaToken</c>s a correct password earns: stored only as SHA-256 hashes, single-use, short-lived, and dead
/// after <see cref="TwoFactorSettings.MaxWrongCodesPerChallenge"/> wrong codes.
/// </summary>
public sealed class TwoFactorChallenges(AppDbContext db, IOptions<TwoFactorSettings> settings, TimeProvider time)
{
    /// <summary>The name of the pruning round's advisory lock (see <see cref="SingleReplicaRound"/>).</summary>
    public const string PruningWork = "two-factor challenge pruning";

    private DbSet<TwoFactorChallenge> Challenges => db.Set<TwoFactorChallenge>();

    public async Task<IssuedChallenge> StartAsync(Guid userId, SignIn firstFactor, CancellationToken cancellationToken)
    {
        var token = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        var lifetime = settings.Value.ChallengeLifetime;
        Challenges.Add(new TwoFactorChallenge
        {
            TokenHash = Hash(token), UserId = userId, FirstFactor = firstFactor.MethodsText, ExpiresAt = time.GetUtcNow() + lifetime,
        });
        await db.SaveChangesAsync(cancellationToken);
        return new IssuedChallenge(token, (int)lifetime.TotalSeconds);
    }

    /// <summary>
    /// The live challenge of the token, locked until the caller's transaction ends, so that of two codes sent with
    /// one token at once the second is decided after the first (and finds the token spent); null when there is none.
    /// </summary>
    public Task<TwoFactorChallenge?> LockLiveAsync(string mfaToken, CancellationToken cancellationToken)
    {
        var hash = Hash(mfaToken);
        var now = time.GetUtcNow();
        return Challenges.FromSql($"SELECT * FROM two_factor_challenges WHERE token_hash = {hash} AND expires_at > {now} FOR UPDATE")
            .SingleOrDefaultAsync(cancellationToken);
    }

    /// <summary>A success spends the token.</summary>
    public void Spend(TwoFactorChallenge challenge) => Challenges.Remove(challenge);

    /// <summary>A wrong code counts against the token, and the last one it may take ends it.</summary>
    public void CountWrongCode(TwoFactorChallenge challenge)
    {
        challenge.WrongCodes++;
        if (challenge.WrongCodes >= TwoFactorSettings.MaxWrongCodesPerChallenge)
        {
            Challenges.Remove(challenge);
        }
    }

    /// <summary>Deletes expired challenges (in a <see cref="TwoFactorChallengePruning"/> round); returns how many.</summary>
    public Task<int> PruneAsync()
    {
        var now = time.GetUtcNow();
        return Challenges.Where(c => c.ExpiresAt <= now).ExecuteDeleteAsync(CancellationToken.None);
    }

    private static byte[] Hash(string token) => SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token));
}

/// <summary>Deletes expired <c>mfaToken</c>s, once per challenge lifetime.</summary>
public sealed class TwoFactorChallengePruning(IServiceScopeFactory scopes, IOptions<TwoFactorSettings> settings, ILogger<TwoFactorChallengePruning> logger)
    : PeriodicPruning(scopes, logger)
{
    protected override TimeSpan Interval => settings.Value.ChallengeLifetime;

    protected override string Work => TwoFactorChallenges.PruningWork;

    protected override string What => "expired two-factor challenges";

    protected override Task<int> PruneAsync(IServiceProvider services) => services.GetRequiredService<TwoFactorChallenges>().PruneAsync();
}
