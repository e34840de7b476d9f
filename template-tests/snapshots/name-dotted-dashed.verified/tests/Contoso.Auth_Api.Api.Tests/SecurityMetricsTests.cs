using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using Contoso.Auth_Api.Api.Security;
using Contoso.Auth_Api.Api.Telemetry;
using Contoso.Auth_Api.Api.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Npgsql;

namespace Contoso.Auth_Api.Api.Tests;

/// <summary>
/// The metrics a dashboard watches (README.md, Telemetry): the framework's own for authorization, rate limiting and
/// the database, and the app's count of security events, which agrees with its log.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class SecurityMetricsTests(ApiFactory api)
{
    [Fact]
    public async Task The_security_event_counter_counts_every_logged_event_by_name()
    {
        await using var app = new SecurityEventApp(api);
        using var counted = new MetricCollector<long>(app.Services.GetRequiredService<IMeterFactory>(), AppTelemetry.Name, SecurityEvents.CounterName);
        var email = ApiClient.NewEmail();
        await app.Client.RegisterUserAsync(email);

        await app.Client.LoginAsync(email, "not the password");
        await app.Client.LoginAsync(ApiClient.NewEmail("unknown"));
        await app.Client.LoginAsync(email);
        await app.Client.GetAsync("/api/v1/users/me");

        var counts = counted.GetMeasurementSnapshot()
            .GroupBy(measurement => (string)measurement.Tags[SecurityEvents.EventNameTag]!)
            .ToDictionary(group => group.Key, group => group.Sum(measurement => measurement.Value));
        var logged = app.Events.GroupBy(record => record.Id.Name!).ToDictionary(group => group.Key, group => (long)group.Count());
        Assert.Equal(logged.OrderBy(pair => pair.Key), counts.OrderBy(pair => pair.Key));
        Assert.Equal(2, counts[SecurityEvents.LoginFail]);
        Assert.Equal(1, counts[SecurityEvents.LoginSuccess]);
        Assert.Equal(1, counts[SecurityEvents.UserCreated]);
        Assert.Equal(1, counts[SecurityEvents.AuthorizationFail]);
    }

    [Fact]
    public async Task A_refused_request_shows_in_aspnetcore_authorization_attempts()
    {
        await using var app = new SecurityEventApp(api);
        using var attempts = new MetricCollector<long>(app.Services.GetRequiredService<IMeterFactory>(), "Microsoft.AspNetCore.Authorization", "aspnetcore.authorization.attempts");

        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Client.GetAsync("/api/v1/users/me")).StatusCode);

        var attempt = Assert.Single(attempts.GetMeasurementSnapshot());
        Assert.Equal("failure", attempt.Tags["aspnetcore.authorization.result"]);
        Assert.Equal(false, attempt.Tags["aspnetcore.user.is_authenticated"]);
    }

    [Fact]
    public async Task A_429_shows_in_aspnetcore_rate_limiting_requests()
    {
        await using var app = new SecurityEventApp(api, new Dictionary<string, string?> { ["RateLimiting:PermitLimit"] = "1" });
        using var requests = new MetricCollector<long>(app.Services.GetRequiredService<IMeterFactory>(), "Microsoft.AspNetCore.RateLimiting", "aspnetcore.rate_limiting.requests");

        await app.Client.LoginAsync(ApiClient.NewEmail("unknown"));
        Assert.Equal(HttpStatusCode.TooManyRequests, (await app.Client.LoginAsync(ApiClient.NewEmail("unknown"))).StatusCode);

        var results = requests.GetMeasurementSnapshot().Select(measurement => measurement.Tags["aspnetcore.rate_limiting.result"]).ToList();
        Assert.Equal(["acquired", "endpoint_limiter"], results);
        Assert.All(requests.GetMeasurementSnapshot(), measurement => Assert.Equal(Hosting.RateLimiting.CredentialsPolicy, measurement.Tags["aspnetcore.rate_limiting.policy"]));
    }

    [Fact]
    public async Task A_login_shows_in_the_database_client_metrics()
    {
        await using var app = new SecurityEventApp(api);
        var email = ApiClient.NewEmail();
        await app.Client.RegisterUserAsync(email);
        var pool = new NpgsqlConnectionStringBuilder(api.Database.ConnectionString).Database!;
        // Npgsql's meter is static, shared by every app of the test run: the measurements are told apart by the
        // connection pool's name, which names the database.
        var seen = new ConcurrentQueue<(string Instrument, double Value, string Tags)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, listening) =>
            {
                if (instrument.Meter.Name == "Npgsql")
                {
                    listening.EnableMeasurementEvents(instrument);
                }
            },
        };
        void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags) =>
            seen.Enqueue((instrument.Name, value, string.Join(", ", tags.ToArray().Select(tag => $"{tag.Key}={tag.Value}"))));
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Record(instrument, value, tags));
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        listener.Start();

        Assert.Equal(HttpStatusCode.OK, (await app.Client.LoginAsync(email)).StatusCode);
        listener.RecordObservableInstruments();

        var ours = seen.Where(measurement => measurement.Tags.Contains(pool, StringComparison.Ordinal)).ToList();
        Assert.True(ours.Any(measurement => measurement.Instrument == "db.client.operation.npgsql.bytes_written" && measurement.Value > 0),
            "Npgsql measured no bytes written for the login; seen: " + string.Join("; ", ours.Select(m => $"{m.Instrument}={m.Value} [{m.Tags}]").Distinct().Take(20)));
    }
}
