using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace AuthTemplate.Api.Hosting;

/// <summary>
/// On SIGTERM the host stops Kestrel first (it closes the listener, lets the requests in flight finish and closes
/// idle connections), then the background services (the email sender finishes the message it has begun), all within
/// <c>HostOptions.ShutdownTimeout</c> (the <c>shutdownTimeoutSeconds</c> setting, 30 s by default); Main then returns 0.
/// What runs after that is not bounded by the host: this keeps it short.
/// </summary>
public static class GracefulShutdown
{
    /// <summary>How long the last telemetry export may take once everything else has stopped.</summary>
    public static readonly TimeSpan TelemetryFlushTimeout = TimeSpan.FromSeconds(2);

    public static IServiceCollection AddGracefulShutdown(this IServiceCollection services) =>
        services.AddHostedService<TelemetryFlushOnStop>();

    /// <summary>
    /// The OpenTelemetry SDK exports what it still holds when the service provider is disposed, after the host has
    /// stopped and outside its timeout, waiting up to 5 seconds for each of traces, metrics and logs: a collector that
    /// does not answer would hold the exit for 15 seconds, eating into an orchestrator's grace period. Shutting the
    /// three down together once every hosted service has stopped (so that their last records are in) bounds that, and
    /// leaves nothing for the disposal to wait for. Without a collector no provider is registered and this does nothing.
    /// </summary>
    private sealed class TelemetryFlushOnStop(IServiceProvider services) : IHostedLifecycleService
    {
        public Task StoppedAsync(CancellationToken cancellationToken)
        {
            var timeout = (int)TelemetryFlushTimeout.TotalMilliseconds;
            var shutdowns = new List<Task>();
            if (services.GetService<TracerProvider>() is { } traces)
            {
                shutdowns.Add(Task.Run(() => traces.Shutdown(timeout), CancellationToken.None));
            }

            if (services.GetService<MeterProvider>() is { } metrics)
            {
                shutdowns.Add(Task.Run(() => metrics.Shutdown(timeout), CancellationToken.None));
            }

            if (services.GetService<LoggerProvider>() is { } logs)
            {
                shutdowns.Add(Task.Run(() => logs.Shutdown(timeout), CancellationToken.None));
            }

            // The host's own timeout still applies if it is shorter.
            return Task.WhenAll(shutdowns).WaitAsync(cancellationToken);
        }

        public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
