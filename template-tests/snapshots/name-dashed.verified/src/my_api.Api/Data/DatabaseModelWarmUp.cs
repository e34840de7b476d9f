namespace my_api.Api.Data;

/// <summary>
/// Builds EF Core's model once, on a thread of its own, from the moment the host starts. Built by whatever queried
/// first instead, the model took most of a second while the other first queries waited on EF Core's lock, each holding
/// a thread-pool thread: on two cores that starved the pool, and requests that needed no database (the probes among
/// them) waited half a second for a thread. The app's own database work at start-up (the outbox sender's first poll,
/// say) awaits <see cref="Built"/> without holding a thread. Readiness does not wait for it: the model builds while the
/// app starts and answers its first probes, and a request that needs it sooner waits only for what is left.
/// </summary>
public sealed partial class DatabaseModelWarmUp(IServiceScopeFactory scopes, ILogger<DatabaseModelWarmUp> logger) : IHostedService
{
    private readonly TaskCompletionSource _built = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once the model is built (or failed to build: the first query then reports why).</summary>
    public Task Built => _built.Task;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        new Thread(Build) { IsBackground = true, Name = "EF Core model" }.Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private void Build()
    {
        try
        {
            using var scope = scopes.CreateScope();
            _ = scope.ServiceProvider.GetRequiredService<AppDbContext>().Model;
        }
        catch (ObjectDisposedException)
        {
            // The app stopped before the model was built: nothing will query it.
        }
        catch (Exception exception)
        {
            LogBuildFailed(exception);
        }
        finally
        {
            _built.TrySetResult();
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Building the database model failed; the first query will fail the same way")]
    private partial void LogBuildFailed(Exception exception);
}
