using AuthTemplate.Api.Telemetry;
using AuthTemplate.Api.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace AuthTemplate.Api.Tests;

/// <summary>What the telemetry wiring gives an app with no collector configured (the exported side is in TelemetryTests).</summary>
[Collection(ApiCollection.Name)]
public sealed class TelemetryRegistrationTests(ApiFactory api)
{
    [Fact]
    public void Without_OTEL_SERVICE_NAME_the_service_is_named_after_the_project()
    {
        var resource = api.Services.GetRequiredService<TracerProvider>().GetResource();

        Assert.Contains(resource.Attributes, attribute => attribute.Key == "service.name" && Equals(attribute.Value, AppTelemetry.Name));
    }

    [Fact]
    public void The_apps_own_activity_source_is_recorded()
    {
        Assert.True(AppTelemetry.ActivitySource.HasListeners(), "Nothing listens to the app's own activity source.");
    }
}
