using System.Diagnostics;
using System.Globalization;
using Contoso.Auth_Api.Api.Configuration;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Contoso.Auth_Api.Api.Users;

/// <summary>
/// Keeps <see cref="UserCache"/> true to the database on every replica. A trigger on <c>users</c> announces each
/// changed or deleted row on <see cref="Channel"/> when its transaction commits, whoever made the change (this
/// replica, another one, someone in psql); this service listens on a connection of its own and evicts each announced
/// user.
/// <para>
/// A listen connection can die without a word (a dropped network, a restarted server), and notifications sent
/// meanwhile are lost. So the listener keeps proving it hears everything: every <see cref="PingInterval"/> it sends a
/// notification to itself and waits for it to come back. The database delivers notifications in commit order, so once
/// its own comes back every change committed before it was sent has been evicted, and the cache may serve entries
/// for <see cref="UserCache.MaxStaleness"/> more. When the connection fails the cache is dropped and bypassed; after
/// a reconnect it listens again first, then drops whatever it held, and only then serves again.
/// </para>
/// </summary>
public sealed partial class UserChangeListener(
    UserCache cache,
    IOptions<DatabaseSettings> database,
    ILogger<UserChangeListener> logger) : BackgroundService
{
    /// <summary>The channel the <c>users</c> trigger notifies, with the user's id as the payload.</summary>
    public const string Channel = "users_changed";

    public static readonly TimeSpan PingInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>A round trip that takes longer than this counts as a lost connection, and the listener reconnects.</summary>
    public static readonly TimeSpan PingTimeout = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan SweepInterval = UserCache.Lifetime;
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan LastRetryDelay = TimeSpan.FromSeconds(5);

    // Each process pings on a channel of its own, so that no replica hears the others' pings.
    private readonly string _pingChannel = "users_changed_ping_" + Guid.NewGuid().ToString("N");
    private long _pingsSent;
    private long _lastPingHeard;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var connectionString = ListenConnectionString(database.Value);
        var retryDelay = FirstRetryDelay;
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                connection.Notification += OnNotification;
                await connection.OpenAsync(stoppingToken);
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}; LISTEN \"{_pingChannel}\"", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                // Listening again before dropping the old entries: a change committed in between is either dropped
                // here or announced after.
                var heardAt = await PingAsync(connection, stoppingToken);
                cache.EvictAll();
                cache.Confirm(heardAt);
                if (failures > 0)
                {
                    LogRecovered(failures);
                    failures = 0;
                }

                retryDelay = FirstRetryDelay;
                await ListenAsync(connection, stoppingToken);
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                cache.Suspend();
                if (failures++ == 0)
                {
                    LogLost(exception.GetType().Name);
                }

                await Task.Delay(retryDelay, stoppingToken);
                retryDelay = TimeSpan.FromTicks(Math.Min(retryDelay.Ticks * 2, LastRetryDelay.Ticks));
            }
        }
    }

    /// <summary>
    /// A connection of its own, never shared and never returned to a pool: multiplexing would interleave other
    /// commands with the wait, and a pooled connection's <c>LISTEN</c> would outlive this use of it. TCP keepalive
    /// lets the operating system notice a dead peer too, though the pings notice it first.
    /// </summary>
    private static string ListenConnectionString(DatabaseSettings settings) =>
        new NpgsqlConnectionStringBuilder(settings.ResolveConnectionString())
        {
            Multiplexing = false,
            Pooling = false,
            TcpKeepAlive = true,
            KeepAlive = 1,
            // A ping given up on breaks the connection at once rather than asking the server to cancel it first.
            CancellationTimeout = -1,
            CommandTimeout = (int)Math.Ceiling(PingTimeout.TotalSeconds),
        }.ConnectionString;

    private async Task ListenAsync(NpgsqlConnection connection, CancellationToken stoppingToken)
    {
        var nextSweep = Stopwatch.GetTimestamp() + (long)(SweepInterval.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            var nextPing = Stopwatch.GetTimestamp() + (long)(PingInterval.TotalSeconds * Stopwatch.Frequency);
            // Notifications that arrive meanwhile are handled by OnNotification while this waits.
            while (Stopwatch.GetElapsedTime(nextPing) < TimeSpan.Zero)
            {
                var remaining = -Stopwatch.GetElapsedTime(nextPing);
                await connection.WaitAsync((int)Math.Max(1, remaining.TotalMilliseconds), stoppingToken);
            }

            cache.Confirm(await PingAsync(connection, stoppingToken));
            if (Stopwatch.GetTimestamp() >= nextSweep)
            {
                cache.RemoveExpired();
                nextSweep = Stopwatch.GetTimestamp() + (long)(SweepInterval.TotalSeconds * Stopwatch.Frequency);
            }
        }
    }

    /// <summary>Sends a ping and waits for it to come back; returns when it was sent.</summary>
    private async Task<long> PingAsync(NpgsqlConnection connection, CancellationToken stoppingToken)
    {
        var ping = Interlocked.Increment(ref _pingsSent);
        var sentAt = Stopwatch.GetTimestamp();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(PingTimeout);
        try
        {
            await using (var notify = new NpgsqlCommand("SELECT pg_notify($1, $2)", connection))
            {
                notify.Parameters.Add(new NpgsqlParameter { Value = _pingChannel });
                notify.Parameters.Add(new NpgsqlParameter { Value = ping.ToString(CultureInfo.InvariantCulture) });
                await notify.ExecuteNonQueryAsync(timeout.Token);
            }

            while (Interlocked.Read(ref _lastPingHeard) < ping)
            {
                await connection.WaitAsync(timeout.Token);
            }
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            throw new TimeoutException("The listen connection did not answer in time.");
        }

        return sentAt;
    }

    private void OnNotification(object sender, NpgsqlNotificationEventArgs notification)
    {
        if (notification.Channel == _pingChannel)
        {
            if (long.TryParse(notification.Payload, NumberStyles.None, CultureInfo.InvariantCulture, out var ping))
            {
                Interlocked.Exchange(ref _lastPingHeard, ping);
            }
        }
        else if (Guid.TryParse(notification.Payload, out var userId))
        {
            cache.Evict(userId);
        }
        else
        {
            // Not a user id: something changed, and what is unknown.
            cache.EvictAll();
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning,
        Message = "The user change listener lost its database connection ({ExceptionType}); every request reads users from the database until it is back")]
    private partial void LogLost(string exceptionType);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information,
        Message = "The user change listener is back after {Failures} failed attempt(s); the user cache serves again")]
    private partial void LogRecovered(int failures);
}
