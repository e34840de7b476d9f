using Contoso.Orders.Api.Tests.ExternalLogins;
using Contoso.Orders.Api.Tests.Infrastructure;

namespace Contoso.Orders.Api.Tests;

/// <summary>
/// Security checklist point 24 over the whole test run: waits until every test that logs has finished, then searches
/// everything every app and process logged for every password, token, signing key and database password the run used.
/// </summary>
[Collection(CollectionOrder.LastCollection)]
public sealed class LogScanTests
{
    [Fact]
    public async Task No_log_of_the_whole_test_run_contains_a_secret()
    {
        await TestRun.WhenFinished(ApiCollection.Name, BadInputCollection.Name, TwoFactorCollection.Name, PasskeyCollection.Name, ExternalLoginCollection.Name, ProcessCollection.Name, ReplicaCollection.Name, CommandCollection.Name, ObservedProcessCollection.Name).WaitAsync(TimeSpan.FromMinutes(30));

        var logs = TestRun.Logs.Text;
        var secrets = TestRun.Secrets;

        Assert.True(logs.Length > 10_000, $"Only {logs.Length} characters were logged: is this test running last?");
        Assert.True(secrets.Count > 20, $"Only {secrets.Count} secrets were seen: is this test running last?");
        var leaked = secrets.Where(secret => secret.AppearsIn(logs)).ToList();
        Assert.True(leaked.Count == 0, $"{leaked.Count} of {secrets.Count} secrets appear in the logs, such as {leaked.FirstOrDefault()}.");
    }

    [Fact]
    public async Task No_process_the_tests_started_outlives_them()
    {
        await TestRun.WhenFinished(ApiCollection.Name, BadInputCollection.Name, TwoFactorCollection.Name, PasskeyCollection.Name, ExternalLoginCollection.Name, ProcessCollection.Name, ReplicaCollection.Name, CommandCollection.Name, ObservedProcessCollection.Name).WaitAsync(TimeSpan.FromMinutes(30));

        var started = ApiProcess.Started.ToList();
        var running = started.Where(process => process.IsRunning).Select(process => $"{process.Id} ({process.Command})").ToList();

        Assert.True(started.Count > 20, $"Only {started.Count} processes were started: is this test running last?");
        Assert.True(running.Count == 0, $"{running.Count} of the {started.Count} processes the tests started still run: {string.Join(", ", running)}.");
    }
}
