namespace Contoso.Orders.Api.Tests.Infrastructure;

/// <summary>
/// How a test waits for something to happen: for a signal (an endpoint that answers, a log line, a row, a message),
/// checked again and again, never for a fixed time. The one limit, <see cref="Limit"/>, is far past anything a busy
/// machine needs: it fires only on a real hang, and then says what never came. A time is asserted only where the
/// time is itself the promise (revocation within a second, SIGTERM to exit, equal login times), and those tests
/// measure just that interval.
/// </summary>
public static class Patience
{
    /// <summary>How long to wait for a signal before calling it a hang.</summary>
    public static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>Polls until the condition holds; fails after <see cref="Limit"/>, saying what it waited for.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + Limit;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Waited {Limit.TotalSeconds:F0} s for {what}: it never happened.");
            await Task.Delay(PollInterval);
        }
    }

    /// <inheritdoc cref="UntilAsync(Func{Task{bool}}, string)"/>
    public static Task UntilAsync(Func<bool> condition, string what) => UntilAsync(() => Task.FromResult(condition()), what);

    /// <summary>Waits for a task that completes on a signal; fails after <see cref="Limit"/>, saying what it waited for.</summary>
    public static async Task ForAsync(Task signal, string what)
    {
        try
        {
            await signal.WaitAsync(Limit);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"Waited {Limit.TotalSeconds:F0} s for {what}: it never happened.");
            throw;
        }
    }
}
