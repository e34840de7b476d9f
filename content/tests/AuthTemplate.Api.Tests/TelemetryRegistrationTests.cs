using AuthTemplate.Api.Telemetry;
using AuthTemplate.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace AuthTemplate.Api.Tests;

/// <summary>What the telemetry registration gives an app, with and without a collector (what goes out is in TelemetryTests).</summary>
[Collection(ApiCollection.Name)]
public sealed class TelemetryRegistrationTests(ApiFactory api)
{

    [Fact]
    public void Without_a_collector_no_OpenTelemetry_provider_is_registered()
    {
        Assert.Null(api.Services.GetService<TracerProvider>());
        Assert.Null(api.Services.GetService<MeterProvider>());
    }

    [Fact]
    public async Task With_a_collector_the_service_is_named_after_the_project_when_OTEL_SERVICE_NAME_is_unset()
    {
        await using var app = WithCollector();

        var resource = app.Services.GetRequiredService<TracerProvider>().GetResource();

        Assert.Contains(resource.Attributes, attribute => attribute.Key == "service.name" && Equals(attribute.Value, AppTelemetry.Name));
    }

    [Fact]
    public async Task With_a_collector_the_apps_own_activity_source_is_recorded()
    {
        await using var app = WithCollector();

        _ = app.Services.GetRequiredService<TracerProvider>();

        Assert.True(AppTelemetry.ActivitySource.HasListeners(), "Nothing listens to the app's own activity source.");
    }

    /// <summary>
    /// The app with a collector configured. A host setting, unlike the factory's app configuration, is already there
    /// when Program.cs reads it. Nothing listens on port 9 (discard): the exporter's sends fail quietly, in the background.
    /// </summary>
    private WebApplicationFactory<Program> WithCollector() =>
        api.WithWebHostBuilder(builder => builder.UseSetting(TelemetryRegistration.EndpointVariable, "http://127.0.0.1:9"));
}
