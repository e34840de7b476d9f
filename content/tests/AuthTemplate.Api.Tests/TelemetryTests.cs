using System.Net;
using System.Text.Json;
using AuthTemplate.Api.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace AuthTemplate.Api.Tests;

/// <summary>
/// The built API as its own process in Production, exporting to an OTLP/HTTP collector the test runs on a loopback
/// port (protobuf, uncompressed, short export intervals): traces, metrics and logs arrive, carry what a platform team
/// looks for, and carry no secret. Without a collector configured, nothing is sent.
/// </summary>
[Collection(ObservedProcessCollection.Name)]
public sealed class TelemetryTests(TelemetryTests.ExportingApi api) : IClassFixture<TelemetryTests.ExportingApi>
{
    [Fact]
    public async Task A_failed_logins_trace_holds_its_request_span_and_under_it_the_database_span()
    {
        var request = await LoginSpanAsync();
        await api.Receiver.WaitForAsync(receiver => DatabaseSpans(receiver).Any(span => span.TraceId == request.TraceId), "database span of the login's trace");

        Assert.Equal(HttpStatusCode.Unauthorized, api.LoginStatus);
        Assert.Equal("401", request.Attributes.GetValueOrDefault("http.response.status_code"));
        var trace = api.Receiver.Spans.Select(exported => exported.Span).Where(span => span.TraceId == request.TraceId).ToList();
        Assert.All(DatabaseSpans(api.Receiver).Where(span => span.TraceId == request.TraceId), database => Assert.True(
            IsUnder(database, request, trace), $"The database span '{database.Name}' is not under the request span '{request.Name}'."));
    }

    [Fact]
    public async Task Spans_name_the_service_by_OTEL_SERVICE_NAME()
    {
        await api.Receiver.WaitForAsync(receiver => !receiver.Spans.IsEmpty, "span");

        Assert.All(api.Receiver.Spans, exported => Assert.Equal(ExportingApi.ServiceName, exported.Resource.GetValueOrDefault("service.name")));
    }

    [Fact]
    public async Task Health_probes_are_not_traced()
    {
        // The probes were sent before the login: once the login's request span is here, theirs would be too.
        await LoginSpanAsync();

        Assert.DoesNotContain(api.Receiver.Spans, exported => exported.Span.Attributes.GetValueOrDefault("url.path", "").StartsWith("/health", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("http.server.request.duration", "http.route", "/api/v1/auth/login")]
    [InlineData("http.server.request.duration", "http.response.status_code", "401")]
    [InlineData("aspnetcore.authorization.attempts", "aspnetcore.authorization.result", "failure")]
    [InlineData("aspnetcore.authentication.challenges", null, null)]
    [InlineData("aspnetcore.rate_limiting.requests", "aspnetcore.rate_limiting.result", "acquired")]
    [InlineData("db.client.connection.count", "db.client.connection.state", "idle")]
    [InlineData("db.client.operation.npgsql.bytes_written", null, null)]
    [InlineData("microsoft.entityframeworkcore.queries", null, null)]
    [InlineData("dotnet.gc.heap.total_allocated", null, null)]
    public async Task Metrics_arrive_from_aspnetcore_npgsql_ef_core_and_the_runtime(string metric, string? attribute, string? value)
    {
        await api.Receiver.WaitForAsync(
            receiver => receiver.Metrics.Any(exported => exported.Name == metric
                && (attribute is null || exported.DataPoints.Any(point => point.GetValueOrDefault(attribute) == value))),
            attribute is null ? $"metric {metric}" : $"metric {metric} with {attribute}={value}");
    }

    [Fact]
    public async Task Logs_arrive_with_the_trace_id_of_their_request()
    {
        var login = await LoginSpanAsync();

        await api.Receiver.WaitForAsync(
            receiver => receiver.Logs.Any(log => log.TraceId == login.TraceId && log.Body.Contains("/api/v1/auth/login", StringComparison.Ordinal)),
            "log record of the login's request");
    }

    [Fact]
    public async Task The_failed_logins_security_event_arrives_as_a_log_record_of_its_trace()
    {
        var login = await LoginSpanAsync();

        await api.Receiver.WaitForAsync(
            receiver => receiver.Logs.Any(log => log.TraceId == login.TraceId && log.Body.StartsWith("authn_login_fail", StringComparison.Ordinal)
                && log.Body.Contains("(UnknownAccount)", StringComparison.Ordinal)),
            "the authn_login_fail record of the login, with its reason");
    }

    [Fact]
    public async Task No_payload_carries_a_secret_of_the_run()
    {
        await api.Receiver.WaitForAsync(receiver => !receiver.Spans.IsEmpty && !receiver.Metrics.IsEmpty && !receiver.Logs.IsEmpty, "traces, metrics and logs");

        var payloads = api.Receiver.PayloadText;
        Assert.Contains(TestRun.Secrets, secret => secret.Value == api.LoginPassword);
        var leaked = TestRun.Secrets.Where(secret => secret.AppearsIn(payloads)).ToList();
        Assert.True(leaked.Count == 0, $"{leaked.Count} secrets appear in the exported telemetry, such as {leaked.FirstOrDefault()}.");
    }

    [Fact]
    public async Task Every_console_line_is_json_with_a_utc_timestamp_and_a_requests_lines_carry_its_trace_id()
    {
        var login = await LoginSpanAsync();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!api.Serving.StandardOutput.Any(line => line.Contains(login.TraceId, StringComparison.Ordinal)) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        var lines = api.Serving.StandardOutput;
        Assert.NotEmpty(lines);
        var requestScopes = new List<JsonElement>();
        foreach (var line in lines)
        {
            using var entry = JsonDocument.Parse(line);
            var timestamp = entry.RootElement.GetProperty("Timestamp").GetString()!;
            Assert.True(timestamp.EndsWith('Z') || timestamp.EndsWith("+00:00", StringComparison.Ordinal), $"Not a UTC timestamp: {timestamp}");
            Assert.True(DateTimeOffset.TryParse(timestamp, out _), $"Not an ISO 8601 timestamp: {timestamp}");
            requestScopes.AddRange(entry.RootElement.GetProperty("Scopes").EnumerateArray()
                .Where(scope => scope.TryGetProperty("RequestPath", out _))
                .Select(_ => entry.RootElement.Clone()));
        }

        Assert.NotEmpty(requestScopes);
        Assert.All(requestScopes, entry => Assert.Contains(entry.GetProperty("Scopes").EnumerateArray(), scope => scope.TryGetProperty("TraceId", out _)));
        Assert.Contains(requestScopes, entry => entry.GetProperty("Scopes").EnumerateArray()
            .Any(scope => scope.TryGetProperty("TraceId", out var traceId) && traceId.GetString() == login.TraceId));
        Assert.Empty(api.Serving.StandardError);
    }

    [Fact]
    public async Task Without_a_collector_endpoint_nothing_is_sent_and_nothing_complains()
    {
        // A collector on the default OTLP/HTTP port, where an exporter with no endpoint configured would send; one
        // process without the setting and one with it empty, side by side.
        await using var receiver = await OtlpReceiver.StartAsync(port: 4318);
        Task<ServingApi>[] starting = [ServingApi.StartAsync(api.Environment(null)), ServingApi.StartAsync(api.Environment(""))];
        try
        {
            var processes = await Task.WhenAll(starting);
            foreach (var serving in processes)
            {
                Assert.Equal(HttpStatusCode.Unauthorized, (await serving.Client.LoginAsync(ApiClient.NewEmail("unknown"), api.LoginPassword)).StatusCode);
                Assert.Equal(HttpStatusCode.Unauthorized, (await serving.Client.GetAsync("/api/v1/users/me")).StatusCode);
            }

            // Five times the export intervals the environment sets.
            await Task.Delay(TimeSpan.FromSeconds(1.5));

            Assert.Equal(0, receiver.Requests);
            Assert.All(processes, serving =>
            {
                Assert.Empty(serving.StandardError);
                Assert.DoesNotContain(serving.StandardOutput, line => line.Contains("OpenTelemetry", StringComparison.Ordinal));
            });
        }
        finally
        {
            foreach (var started in starting.Where(start => start.IsCompletedSuccessfully))
            {
                await (await started).DisposeAsync();
            }
        }
    }

    /// <summary>The request span of the fixture's only login.</summary>
    private async Task<OtlpSpan> LoginSpanAsync()
    {
        static OtlpSpan? Find(OtlpReceiver receiver) => receiver.Spans.Select(exported => exported.Span).FirstOrDefault(span =>
            span.Kind == OtlpSpanKind.Server && span.Attributes.GetValueOrDefault("url.path") == "/api/v1/auth/login");
        await api.Receiver.WaitForAsync(receiver => Find(receiver) is not null, "request span of the login");
        return Find(api.Receiver)!;
    }

    private static IEnumerable<OtlpSpan> DatabaseSpans(OtlpReceiver receiver) => receiver.Spans
        .Select(exported => exported.Span)
        .Where(span => span.Kind == OtlpSpanKind.Client && span.Attributes.GetValueOrDefault("db.system.name") == "postgresql");

    private static bool IsUnder(OtlpSpan span, OtlpSpan ancestor, IReadOnlyList<OtlpSpan> trace)
    {
        for (var current = span; current is not null; current = trace.FirstOrDefault(candidate => candidate.SpanId == current.ParentSpanId))
        {
            if (current.ParentSpanId == ancestor.SpanId)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The API in Production on a migrated database of its own, exporting to <see cref="Receiver"/>, after it served
    /// health probes, a failed login and an unauthenticated request.
    /// </summary>
    public sealed class ExportingApi : IAsyncLifetime
    {
        public const string ServiceName = "telemetry-under-test";

        private TestDatabase? _database;

        public OtlpReceiver Receiver { get; private set; } = null!;

        public ServingApi Serving { get; private set; } = null!;

        public string LoginPassword { get; } = $"not-the-password-{Guid.NewGuid():N}";

        public HttpStatusCode LoginStatus { get; private set; }

        /// <summary>Production settings, with telemetry sent to <paramref name="endpoint"/> (none when null).</summary>
        public Dictionary<string, string?> Environment(string? endpoint)
        {
            var environment = ApiProcess.Production(
                ("ConnectionStrings__Postgres", _database!.ConnectionString),
                // Each request's "Request starting" line, which carries the request's scopes.
                ("Logging__LogLevel__Microsoft.AspNetCore.Hosting.Diagnostics", "Information"),
                ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
                ("OTEL_SERVICE_NAME", ServiceName),
                ("OTEL_BSP_SCHEDULE_DELAY", "200"),
                ("OTEL_BLRP_SCHEDULE_DELAY", "200"),
                ("OTEL_METRIC_EXPORT_INTERVAL", "300"));
            // Null leaves the variable unset, as opposed to empty.
            environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint;
            return environment;
        }

        public async Task InitializeAsync()
        {
            TestRun.RememberSecret(LoginPassword);
            Receiver = await OtlpReceiver.StartAsync();
            // Migrated from here: the migrate command's own process is CommandLineTests'.
            _database = await TestDatabase.CreateAsync();
            await using (var db = _database.CreateDbContext())
            {
                await db.Database.MigrateAsync();
            }

            Serving = await ServingApi.StartAsync(Environment(Receiver.Endpoint.ToString().TrimEnd('/')));
            await Serving.Client.GetAsync("/health/live");
            await Serving.Client.GetAsync("/health/ready");
            LoginStatus = (await Serving.Client.LoginAsync(ApiClient.NewEmail("unknown"), LoginPassword)).StatusCode;
            await Serving.Client.GetAsync("/api/v1/users/me");
        }

        public async Task DisposeAsync()
        {
            if (Serving is not null)
            {
                await Serving.DisposeAsync();
            }

            if (Receiver is not null)
            {
                await Receiver.DisposeAsync();
            }

            if (_database is not null)
            {
                await _database.DisposeAsync();
            }
        }
    }
}
