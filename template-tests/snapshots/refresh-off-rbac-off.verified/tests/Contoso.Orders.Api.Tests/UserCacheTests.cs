using System.Diagnostics;
using Contoso.Orders.Api.Users;

namespace Contoso.Orders.Api.Tests;

/// <summary>
/// The user cache's own rules, which the replica tests cannot time precisely: a row read before an eviction is not
/// kept, nothing is served unless the listener vouched for it recently, and the size is bounded.
/// </summary>
public sealed class UserCacheTests
{
    [Fact]
    public void A_row_read_before_an_eviction_is_not_kept_but_one_read_after_it_is()
    {
        var cache = Vouched();
        var user = Snapshot();

        var before = cache.Generation;
        cache.Evict(user.Id);
        cache.Add(user, before);

        Assert.False(cache.TryGet(user.Id, out _));
        cache.Add(user, cache.Generation);
        Assert.True(cache.TryGet(user.Id, out var served));
        Assert.Same(user, served);
    }

    [Fact]
    public void A_row_that_is_not_kept_still_drops_the_older_entry_of_its_user()
    {
        var cache = Vouched();
        var older = Snapshot();
        cache.Add(older, cache.Generation);
        Assert.True(cache.TryGet(older.Id, out _));

        // A newer read of the same user, which an eviction of someone else keeps the cache from keeping.
        var before = cache.Generation;
        cache.Evict(Guid.NewGuid());
        cache.Add(older with { IsActive = false }, before);

        Assert.False(cache.TryGet(older.Id, out _));
    }

    [Fact]
    public void An_eviction_of_everything_also_stops_rows_read_before_it()
    {
        var cache = Vouched();
        var user = Snapshot();

        var before = cache.Generation;
        cache.EvictAll();
        cache.Add(user, before);

        Assert.False(cache.TryGet(user.Id, out _));
    }

    [Fact]
    public void Nothing_is_kept_or_served_until_the_listener_vouches_and_nothing_after_it_stops()
    {
        var cache = new UserCache();
        var user = Snapshot();

        cache.Add(user, cache.Generation);
        Assert.False(cache.TryGet(user.Id, out _));

        cache.Confirm(Stopwatch.GetTimestamp());
        cache.Add(user, cache.Generation);
        Assert.True(cache.TryGet(user.Id, out _));

        cache.Suspend();
        Assert.False(cache.IsServing);
        Assert.False(cache.TryGet(user.Id, out _));
        // Vouched for again: what it held before was dropped with the suspension.
        cache.Confirm(Stopwatch.GetTimestamp());
        Assert.False(cache.TryGet(user.Id, out _));
    }

    [Fact]
    public void A_round_trip_older_than_the_allowed_staleness_vouches_for_nothing()
    {
        var cache = new UserCache();
        var user = Snapshot();

        cache.Confirm(Stopwatch.GetTimestamp() - (long)(UserCache.MaxStaleness.TotalSeconds * Stopwatch.Frequency) - 1);
        cache.Add(user, cache.Generation);

        Assert.False(cache.IsServing);
        Assert.False(cache.TryGet(user.Id, out _));
    }

    [Fact]
    public void The_cache_keeps_no_more_than_its_bound()
    {
        var cache = Vouched();
        var users = Enumerable.Range(0, UserCache.MaxEntries + 1).Select(_ => Snapshot()).ToList();

        foreach (var user in users)
        {
            cache.Add(user, cache.Generation);
        }

        Assert.Equal(UserCache.MaxEntries, users.Count(user => cache.TryGet(user.Id, out _)));
        // Evicting one makes room for another.
        cache.Evict(users[0].Id);
        cache.Add(users[^1], cache.Generation);
        Assert.True(cache.TryGet(users[^1].Id, out _));
    }

    private static UserCache Vouched()
    {
        var cache = new UserCache();
        // Vouched for a while: the tests above take far less than a minute.
        cache.Confirm(Stopwatch.GetTimestamp() + 60 * Stopwatch.Frequency);
        return cache;
    }

    private static UserSnapshot Snapshot() => new()
    {
        Id = Guid.NewGuid(),
        Email = "someone@example.com",
        NormalizedEmail = "someone@example.com",
        IsActive = true,
        EmailConfirmed = true,
        SessionVersion = 0,
        TwoFactorEnabled = false,
        CreatedAt = DateTimeOffset.UtcNow,
    };
}
