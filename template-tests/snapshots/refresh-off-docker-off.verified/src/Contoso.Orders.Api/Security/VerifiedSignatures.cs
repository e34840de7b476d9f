using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using Contoso.Orders.Api.Security.SigningKeys;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Contoso.Orders.Api.Security;

/// <summary>
/// Access tokens whose signature this process has already verified, so that a client sending the same token again
/// and again does not pay for the same RSA or ECDSA verification each time: on an authenticated request whose user is
/// cached, the verification is most of the work. Keyed by the exact token, so that a token differing in any byte is
/// verified afresh; kept no longer than the token's own <c>exp</c>, and dropped once its key is no longer published.
/// The token is remembered as parsed then, so that a request presenting it again (through
/// <see cref="RememberedTokenHandler"/>) skips reading it too; lifetime, issuer, audience and type are checked on every
/// request as before.
/// </summary>
public sealed class VerifiedSignatures(SigningKeyRing keys, TimeProvider time)
{
    /// <summary>Beyond this many tokens new ones are verified every time until expired entries make room.</summary>
    public const int MaxEntries = 10_000;

    private static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };
    private int _count;
    private long _nextSweep;

    /// <summary>
    /// The token as it was parsed when its signature was verified, while it is unexpired and its key still published;
    /// otherwise null. Shared between requests: <see cref="JsonWebToken"/> is only read once parsed.
    /// </summary>
    public JsonWebToken? Find(string token)
    {
        if (!_entries.TryGetValue(token, out var entry))
        {
            return null;
        }

        if (time.GetUtcNow().UtcDateTime < entry.Expires && ReferenceEquals(keys.Find(entry.Kid)?.VerificationKey, entry.Token.SigningKey))
        {
            return entry.Token;
        }

        Remove(token, entry);
        return null;
    }

    /// <summary>A <see cref="TokenValidationParameters.SignatureValidator"/>.</summary>
    public SecurityToken Validate(string token, TokenValidationParameters parameters)
    {
        if (Find(token) is { } verified)
        {
            return verified;
        }

        // The handler's own validation, signature included, with the same parameters but this delegate. It completes
        // synchronously: the keys are local, no metadata is fetched.
        var full = parameters.Clone();
        full.SignatureValidator = null;
        var result = _handler.ValidateTokenAsync(token, full).GetAwaiter().GetResult();
        if (!result.IsValid)
        {
            ExceptionDispatchInfo.Throw(result.Exception);
        }

        var validated = (JsonWebToken)result.SecurityToken;
        if (validated.SigningKey is { KeyId: { } kid })
        {
            Add(token, new Entry(kid, validated));
        }

        return validated;
    }

    private void Add(string token, Entry entry)
    {
        if (Volatile.Read(ref _count) >= MaxEntries && !Sweep())
        {
            return;
        }

        if (_entries.TryAdd(token, entry))
        {
            Interlocked.Increment(ref _count);
        }
    }

    /// <summary>Removes expired entries, at most once a second; true when that made room.</summary>
    private bool Sweep()
    {
        var now = time.GetUtcNow();
        var next = Interlocked.Read(ref _nextSweep);
        if (now.UtcTicks < next || Interlocked.CompareExchange(ref _nextSweep, (now + SweepInterval).UtcTicks, next) != next)
        {
            return false;
        }

        foreach (var (token, entry) in _entries)
        {
            if (now.UtcDateTime >= entry.Expires)
            {
                Remove(token, entry);
            }
        }

        return Volatile.Read(ref _count) < MaxEntries;
    }

    private void Remove(string token, Entry entry)
    {
        if (_entries.TryRemove(new KeyValuePair<string, Entry>(token, entry)))
        {
            Interlocked.Decrement(ref _count);
        }
    }

    private sealed class Entry(string kid, JsonWebToken token)
    {
        public string Kid { get; } = kid;

        public JsonWebToken Token { get; } = token;

        public DateTime Expires { get; } = token.ValidTo;
    }
}
