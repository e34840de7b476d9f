using Contoso.Orders.Api.Configuration;
using Microsoft.Extensions.Options;

namespace Contoso.Orders.Api.Security.SigningKeys;

/// <summary>
/// Which key signs and which keys are published, computed from the configuration and the clock alone, so that every
/// replica with the same configuration agrees without talking to the others:
/// <list type="bullet">
/// <item>the active key is the one with the latest <c>ActiveFrom</c> that has passed;</item>
/// <item>a key is published (in the JWK Set, and accepted) from the moment it is configured, so that validators
/// learn it before it signs; and after the next key takes over, for as long as a token it signed can still be
/// valid: one token lifetime plus the clock skew.</item>
/// </list>
/// </summary>
public sealed class SigningKeyRing(IOptions<LoadedSigningKeys> loaded, IOptions<JwtSettings> jwt, TimeProvider time)
{
    private readonly IReadOnlyList<SigningKey> _keys = loaded.Value.Keys;
    private readonly TimeSpan _lastTokenValidFor = jwt.Value.AccessTokenLifetime + JwtSettings.ClockSkew;

    /// <summary>Every algorithm a published key may have: the only ones a token can be signed with.</summary>
    public IReadOnlyList<string> Algorithms { get; } = [.. loaded.Value.Keys.Select(key => key.Algorithm).Distinct()];

    public SigningKey Active => ActiveAt(time.GetUtcNow());

    public IReadOnlyList<SigningKey> Published => PublishedAt(time.GetUtcNow());

    public SigningKey ActiveAt(DateTimeOffset now) =>
        // Start-up refuses a configuration in which no key is active yet, and the clock moves on from there.
        _keys.LastOrDefault(key => key.ActiveFrom <= now) ?? _keys[0];

    public IReadOnlyList<SigningKey> PublishedAt(DateTimeOffset now)
    {
        var published = new List<SigningKey>(_keys.Count);
        for (var i = 0; i < _keys.Count; i++)
        {
            if (IsPublished(i, now))
            {
                published.Add(_keys[i]);
            }
        }

        return published;
    }

    /// <summary>The published key with this kid, if any: a token naming another kid is refused. Runs on every request.</summary>
    public SigningKey? Find(string? kid)
    {
        if (kid is null)
        {
            return null;
        }

        var now = time.GetUtcNow();
        for (var i = 0; i < _keys.Count; i++)
        {
            if (_keys[i].Kid == kid)
            {
                return IsPublished(i, now) ? _keys[i] : null;
            }
        }

        return null;
    }

    /// <summary>Until the next key takes over, and a token lifetime plus the clock skew after that.</summary>
    private bool IsPublished(int index, DateTimeOffset now) =>
        index + 1 >= _keys.Count || now < _keys[index + 1].ActiveFrom + _lastTokenValidFor;
}
