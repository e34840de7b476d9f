using System.Collections.Concurrent;
using System.Diagnostics;

namespace Contoso.Orders.Api.Users;

/// <summary>
/// The per-request user check's rows, kept in memory so that an authenticated request needs no query. Correct across
/// replicas because every change to a user row is announced by the database (<see cref="UserChangeListener"/>), and
/// only for as long as the listener can vouch that it has heard every announcement: each entry is served only while
/// the listener's last round trip through the database's notification queue is recent (<see cref="MaxStaleness"/>);
/// otherwise every request reads the database.
/// </summary>
public sealed class UserCache
{
    /// <summary>
    /// The safety net for a change the database does not announce (one made with triggers disabled, say): no entry is
    /// served for longer than this. Short enough that such a change takes effect soon, long enough that a busy user's
    /// requests almost never pay for the query (one read per user every ten seconds).
    /// </summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long after the listener's last confirmed round trip entries are still served. Bounds how late a change is
    /// seen when the listen connection dies silently: well within the one second a deactivation may take.
    /// </summary>
    public static readonly TimeSpan MaxStaleness = TimeSpan.FromMilliseconds(500);

    /// <summary>Beyond this many users new ones are not kept until expired entries make room: memory stays bounded.</summary>
    public const int MaxEntries = 100_000;

    private static readonly long LifetimeTicks = (long)(Lifetime.TotalSeconds * Stopwatch.Frequency);
    private static readonly long MaxStalenessTicks = (long)(MaxStaleness.TotalSeconds * Stopwatch.Frequency);

    private readonly ConcurrentDictionary<Guid, Entry> _entries = new();
    private long _generation;
    private long _confirmedUntil;
    private int _count;

    /// <summary>
    /// Changes with every eviction. A request takes it before it reads a user row and hands it back to
    /// <see cref="Add"/>: a row read before a change committed is not kept if the change's eviction came in between.
    /// </summary>
    public long Generation => Interlocked.Read(ref _generation);

    /// <summary>Whether entries are served at all: the listener has confirmed a round trip recently.</summary>
    public bool IsServing => Stopwatch.GetTimestamp() < Interlocked.Read(ref _confirmedUntil);

    public bool TryGet(Guid userId, out UserSnapshot user)
    {
        var now = Stopwatch.GetTimestamp();
        if (now < Interlocked.Read(ref _confirmedUntil) && _entries.TryGetValue(userId, out var entry))
        {
            if (now < entry.ExpiresAt)
            {
                user = entry.User;
                return true;
            }

            Remove(userId, entry);
        }

        user = null!;
        return false;
    }

    /// <summary>
    /// Keeps a row read after <paramref name="generation"/> was taken, unless an eviction came since. A row that is not
    /// kept still replaces what the cache held for the user: an entry older than a row already read (while the
    /// listener could not vouch for a moment, say) is never served again.
    /// </summary>
    public void Add(UserSnapshot user, long generation)
    {
        var now = Stopwatch.GetTimestamp();
        if (now >= Interlocked.Read(ref _confirmedUntil) || Volatile.Read(ref _count) >= MaxEntries || Generation != generation)
        {
            if (_entries.TryGetValue(user.Id, out var older))
            {
                Remove(user.Id, older);
            }

            return;
        }

        var entry = new Entry(user, now + LifetimeTicks);
        if (_entries.TryAdd(user.Id, entry))
        {
            Interlocked.Increment(ref _count);
        }
        else
        {
            _entries[user.Id] = entry;
        }

        // An eviction raises the generation before it removes; one that came between the check above and the add
        // either removed this entry already or shows here.
        if (Generation != generation)
        {
            Remove(user.Id, entry);
        }
    }

    public void Evict(Guid userId)
    {
        Interlocked.Increment(ref _generation);
        if (_entries.TryRemove(userId, out _))
        {
            Interlocked.Decrement(ref _count);
        }
    }

    public void EvictAll()
    {
        Interlocked.Increment(ref _generation);
        _entries.Clear();
        Volatile.Write(ref _count, 0);
    }

    /// <summary>
    /// Every change committed before <paramref name="sentAt"/> (a <see cref="Stopwatch"/> timestamp) has been evicted:
    /// entries may be served until <see cref="MaxStaleness"/> after it.
    /// </summary>
    public void Confirm(long sentAt)
    {
        var until = sentAt + MaxStalenessTicks;
        long current;
        while ((current = Interlocked.Read(ref _confirmedUntil)) < until
            && Interlocked.CompareExchange(ref _confirmedUntil, until, current) != current)
        {
        }
    }

    /// <summary>The listener can no longer vouch for anything: every request reads the database until it can again.</summary>
    public void Suspend()
    {
        Interlocked.Exchange(ref _confirmedUntil, 0);
        EvictAll();
    }

    public void RemoveExpired()
    {
        var now = Stopwatch.GetTimestamp();
        foreach (var (userId, entry) in _entries)
        {
            if (now >= entry.ExpiresAt)
            {
                Remove(userId, entry);
            }
        }
    }

    private void Remove(Guid userId, Entry entry)
    {
        if (_entries.TryRemove(new KeyValuePair<Guid, Entry>(userId, entry)))
        {
            Interlocked.Decrement(ref _count);
        }
    }

    // A class, so that removing "this entry" compares references: another request's newer entry for the user stays.
    private sealed class Entry(UserSnapshot user, long expiresAt)
    {
        public UserSnapshot User { get; } = user;

        public long ExpiresAt { get; } = expiresAt;
    }
}
