using AuthTemplate.Api.Health;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace AuthTemplate.Api.Telemetry;

/// <summary>
/// OpenTelemetry in the shape of .NET Aspire's service defaults, switched on by <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>:
/// traces, metrics and logs go out over OTLP to the collector it names. Every other <c>OTEL_*</c> variable (protocol,
/// headers, service name, resource attributes, export intervals) is read by the OpenTelemetry SDK itself.
/// </summary>
public static class TelemetryRegistration
{
    public const string EndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>Entity Framework Core's own meter: active contexts, queries, saves and their failures.</summary>
    private const string EntityFrameworkCoreMeter = "Microsoft.EntityFrameworkCore";

    public static WebApplicationBuilder AddTelemetry(this WebApplicationBuilder builder)
    {
        // Outside Development a log collector reads the console: one JSON object per line, in UTC, with the scopes,
        // where ASP.NET Core puts each request's TraceId and SpanId. Development keeps the readable format.
        if (!builder.Environment.IsDevelopment())
        {
            builder.Logging.AddJsonConsole(console =>
            {
                console.IncludeScopes = true;
                console.UseUtcTimestamp = true;
                // ISO 8601 with a literal Z, true of a UTC timestamp ("O" would write +00:00, which JSON escapes).
                console.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";
            });
        }

        // Without a collector the SDK is not registered at all: nothing is recorded for nobody, and start-up costs
        // what it did before (registered, the SDK adds about a fifth to the time until the app answers). Requests
        // still get their TraceId in the log scopes, and dotnet-counters still reads every meter. An empty value
        // (compose passes one when .env leaves the variable out) counts as unset.
        if (string.IsNullOrWhiteSpace(builder.Configuration[EndpointVariable]))
        {
            return builder;
        }

        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry()
            // The project name unless OTEL_SERVICE_NAME (or service.name in OTEL_RESOURCE_ATTRIBUTES) says otherwise:
            // the environment is read again after the fallback so that it wins.
            .ConfigureResource(resource => resource.AddService(AppTelemetry.Name).AddEnvironmentVariableDetector())
            .WithTracing(tracing => tracing
                .AddSource(AppTelemetry.Name)
                // Probes run every few seconds and say nothing a trace would help with.
                .AddAspNetCoreInstrumentation(options =>
                    options.Filter = context => !context.Request.Path.StartsWithSegments(HealthEndpoints.PathPrefix))
                .AddHttpClientInstrumentation()
                .AddNpgsql())
            .WithMetrics(metrics => metrics
                .AddMeter(AppTelemetry.Name)
                // On .NET 10 this subscribes to every ASP.NET Core meter: Hosting (http.server.*), Kestrel, Routing,
                // Diagnostics, Authentication, Authorization and RateLimiting.
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddNpgsqlInstrumentation()
                .AddMeter(EntityFrameworkCoreMeter))
            .UseOtlpExporter();

        return builder;
    }
}
