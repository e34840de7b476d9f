using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace AuthTemplate.Api.Telemetry;

/// <summary>
/// The app's own traces and metrics, for the work no framework instruments: what the app does besides answering a
/// request (sending an email, rotating a token), and counts of what it decides (security events). Both are exported
/// with everything else by <see cref="TelemetryRegistration.AddTelemetry"/>. Without a collector nothing listens:
/// <c>ActivitySource.StartActivity</c> returns null (write <c>activity?.SetTag(...)</c>) and a counter costs nothing.
/// </summary>
public static class AppTelemetry
{
    /// <summary>The project's name: the activity source's and the meter's, and the service's unless OTEL_SERVICE_NAME says otherwise.</summary>
    public const string Name = "AuthTemplate.Api";

    public static ActivitySource ActivitySource { get; } = new(Name);

    public static Meter Meter { get; } = new(Name);
}
