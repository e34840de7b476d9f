using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Contoso.Auth_Api.Api.Hosting;

/// <summary>
/// On SIGTERM the host stops Kestrel first (it closes the listener, lets the requests in flight finish and closes
/// idle connections), then the background services (the email sender finishes the message it has begun), all within
/// <c>HostOptions.ShutdownTimeout</c> (the <c>shutdownTimeoutSeconds</c> setting, 30 s by default); Main then returns 0.
/// What runs after that is not bounded by the host: this keeps it short.
/// </summary>
public static partial class GracefulShutdown
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
    private sealed partial class TelemetryFlushOnStop(IServiceProvider services, ILogger<TelemetryFlushOnStop> logger) : IHostedLifecycleService
    {
        // Looked up at start: a host may dispose its services before it stops (a test server does).
        private readonly List<Func<int, bool>> _shutdowns = [];

        public Task StartAsync(CancellationToken cancellationToken)
        {
            if (services.GetService<TracerProvider>() is { } traces)
            {
                _shutdowns.Add(timeout => traces.Shutdown(timeout));
            }

            if (services.GetService<MeterProvider>() is { } metrics)
            {
                _shutdowns.Add(timeout => metrics.Shutdown(timeout));
            }

            if (services.GetService<LoggerProvider>() is { } logs)
            {
                _shutdowns.Add(timeout => logs.Shutdown(timeout));
            }

            return Task.CompletedTask;
        }

        public async Task StoppedAsync(CancellationToken cancellationToken)
        {
            if (_shutdowns.Count == 0)
            {
                return;
            }

            LogSendingLast(TelemetryFlushTimeout.TotalSeconds);
            var timeout = (int)TelemetryFlushTimeout.TotalMilliseconds;
            var exports = Task.WhenAll(_shutdowns.Select(shutdown => Task.Run(() => shutdown(timeout), CancellationToken.None)));
            // The host's own timeout still applies if less of it is left. Past it the exports are left behind rather
            // than failing the host's stop with an exception.
            await Task.WhenAny(exports, Task.Delay(Timeout.Infinite, cancellationToken));
            // Shutdown answers false when its export did not finish in time: what it held is lost, and an operator
            // looking for the last minutes of telemetry should know why.
            if (!exports.IsCompletedSuccessfully || exports.Result.Contains(false))
            {
                LogLeftBehind(TelemetryFlushTimeout.TotalSeconds);
            }
        }

        [LoggerMessage(EventId = 1, Level = LogLevel.Information,
            Message = "Sending the last telemetry before exit, for at most {Seconds} s")]
        private partial void LogSendingLast(double seconds);

        [LoggerMessage(EventId = 2, Level = LogLevel.Warning,
            Message = "The collector did not take the last telemetry within {Seconds} s; what was not sent is lost")]
        private partial void LogLeftBehind(double seconds);

        public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
