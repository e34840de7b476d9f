using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Contoso.Orders.Api.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Xunit.Abstractions;

namespace Contoso.Orders.Api.Tests;

/// <summary>
/// "Graceful shutdown", with the built app run as a real process and stopped the way an orchestrator stops it: SIGTERM.
/// Requests it accepted finish normally, new connections are refused, email in the middle of its send is delivered
/// exactly once, and the process exits with code 0 within the host's shutdown timeout.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class ShutdownTests(ITestOutputHelper output) : IAsyncLifetime
{
    /// <summary>The host's default shutdown timeout (<c>HostOptions.ShutdownTimeout</c>), which the app keeps.</summary>
    private static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Shorter than the default 20 s, and still past <see cref="SendStartToSignal"/>.</summary>
    private static readonly TimeSpan SmtpTimeout = TimeSpan.FromSeconds(5);

    /// <summary>How long after the server began holding a message the test sends SIGTERM, in the test of a server that never answers.</summary>
    private static readonly TimeSpan SendStartToSignal = TimeSpan.FromSeconds(2);

    /// <summary><see cref="ApiClient.Password"/> hashed by BCrypt at cost 13: about half a second of work to verify.</summary>
    private const string PasswordAtCost13 = "$2a$13$v6PG/ifV7zlKwTcRwR/yUub2lbHkiZRZ/mOhCisn3BocelXMGvO8K";

    /// <summary><see cref="ApiClient.Password"/> hashed by BCrypt at cost 16: several seconds of work to verify.</summary>
    private const string PasswordAtCost16 = "$2a$16$maMMhR1hN30AcZwCd77y/OYNB8Wh3kTZEB5oeMRFkyhMC2f59zvfO";

    private TestDatabase _database = null!;
    private readonly TestMailServer _mail = new();

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync();
        await using var db = _database.CreateDbContext();
        await db.Database.MigrateAsync();
    }

    public async Task DisposeAsync()
    {
        await _mail.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task Under_load_SIGTERM_finishes_every_accepted_request_refuses_new_connections_and_exits_0_unheld_by_a_telemetry_collector_that_never_answers()
    {
        // A collector that accepts connections and reads nothing: every export to it waits for its own timeout.
        using var collector = new TcpListener(IPAddress.Loopback, 0);
        collector.Start();
        var accepted = new List<TcpClient>();
        var accepting = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    accepted.Add(await collector.AcceptTcpClientAsync());
                }
            }
            catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
            {
            }
        });

        // A cost above the production default: each login takes a second or more on a busy machine, so that requests are
        // still in flight well after the listener has closed.
        var environment = Environment();
        environment["Auth__BcryptWorkFactor"] = "13";
        environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{((IPEndPoint)collector.LocalEndpoint).Port}";
        await using var api = await ServingApi.StartAsync(environment);
        ApiClient.Remember(api.Client, _database);
        const int loginClients = 4;
        const int meClients = 4;
        // Inserted with their hash made beforehand, at the process's cost: registering would spend as long as a login
        // on each hash, before the load even begins.
        var emails = Enumerable.Range(0, loginClients).Select(_ => ApiClient.NewEmail("shutdown")).ToList();
        var tokenOwner = ApiClient.NewEmail("shutdown-me");
        foreach (var email in emails.Append(tokenOwner))
        {
            await InsertUserAsync(email, PasswordAtCost13);
        }

        var token = await AccessTokenAsync(api.Client, tokenOwner);

        // Clients of their own, on pooled keep-alive connections, as a load balancer's are.
        using var client = new HttpClient { BaseAddress = api.Address, Timeout = TimeSpan.FromSeconds(60) };
        var clock = Stopwatch.StartNew();
        var requests = new System.Collections.Concurrent.ConcurrentBag<Outcome>();
        using var stopLoad = new CancellationTokenSource();
        var answered = Enumerable.Range(0, loginClients + meClients).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToList();
        var load = emails.Select((email, i) => Loop("login", () => client.LoginAsync(email), HttpStatusCode.OK, answered[i]))
            .Concat(Enumerable.Range(0, meClients).Select(i => Loop("me", () => client.GetMeAsync(token), HttpStatusCode.OK, answered[loginClients + i])))
            .ToList();

        // Every client has had an answer: each has its connection and keeps sending; the logins, at cost 13, are in the
        // middle of their next hash.
        await Patience.ForAsync(Task.WhenAll(answered.Select(client => client.Task)), "an answer to every client");
        var signalled = clock.Elapsed;
        api.Terminate();
        var refused = ProbeUntilRefusedAsync(api.Address);
        var exitCode = await api.ExitCodeAsync(ShutdownTimeout + TimeSpan.FromSeconds(5));
        var exited = clock.Elapsed;
        var exitedAt = DateTimeOffset.UtcNow;
        // Requests sent after the exit find nobody listening; that is not what this test is about.
        await stopLoad.CancelAsync();
        await Task.WhenAll(load);
        var (firstRefusal, aliveWhenRefused) = await refused;
        collector.Stop();
        await accepting;
        accepted.ForEach(connection => connection.Dispose());

        var all = requests.ToList();
        var beforeSignal = all.Where(request => request.Started < signalled).ToList();
        var inFlight = beforeSignal.Where(request => request.Ended > signalled).ToList();
        var afterSignal = all.Where(request => request.Started >= signalled).ToList();
        output.WriteLine($"Requests: {all.Count} in all, {beforeSignal.Count} sent before SIGTERM, {inFlight.Count} in flight at SIGTERM " +
            $"({inFlight.Count(request => request.Kind == "login")} logins), {afterSignal.Count} sent after it " +
            $"({afterSignal.Count(request => request.Status is not null)} answered, {afterSignal.Count(request => request.Status is null)} not accepted).");
        output.WriteLine($"SIGTERM to exit: {(exited - signalled).TotalMilliseconds:F0} ms (exit code {exitCode}); first refused connection " +
            $"{(firstRefusal - signalled).TotalMilliseconds:F0} ms after SIGTERM; last in-flight request done " +
            $"{(inFlight.Select(request => request.Ended).DefaultIfEmpty(signalled).Max() - signalled).TotalMilliseconds:F0} ms after it.");

        Assert.Equal(0, exitCode);
        Assert.True(exited - signalled < ShutdownTimeout, $"The process took {exited - signalled} to exit.");
        Assert.NotEmpty(inFlight);
        // Every request sent before the signal reached the app and was answered as usual, the in-flight ones included.
        Assert.All(beforeSignal, request => Assert.True(request.Status == request.Expected, request.ToString()));
        // Afterwards a request is either answered as usual (on a connection the app still served) or never accepted:
        // refused, or its connection closed before it was read. Never a 5xx, never a cut answer.
        Assert.All(afterSignal, request => Assert.True(request.Status == request.Expected || request is { Status: null, Failure: "HttpRequestException" }, request.ToString()));
        Assert.DoesNotContain(all, request => request.Status >= 500);
        // The listener closed while the process was still stopping, not only when it died.
        Assert.True(aliveWhenRefused, "The first refused connection came only once the process had exited.");
        Assert.Contains(api.StandardOutput, line => line.Contains("Application is shutting down", StringComparison.Ordinal));

        // What the app bounds is the last export, which begins once everything else has stopped (how long that takes
        // depends on how busy the machine is): from its log line to the exit. The SDK alone would wait up to 5 s for
        // each of traces, metrics and logs; the app gives them 2 s together, and the rest is the process's own exit.
        var sending = LoggedAt(api.StandardOutput, "Sending the last telemetry");
        var flushToExit = exitedAt - sending;
        output.WriteLine($"From the last export's start to the exit, with a collector that never answers: {flushToExit.TotalMilliseconds:F0} ms ({accepted.Count} connection(s) to it).");
        Assert.True(flushToExit < Contoso.Orders.Api.Hosting.GracefulShutdown.TelemetryFlushTimeout + TimeSpan.FromSeconds(3), $"The last export held the exit for {flushToExit}.");
        Assert.Contains(api.StandardOutput, line => line.Contains("The collector did not take the last telemetry", StringComparison.Ordinal));

        async Task Loop(string kind, Func<Task<HttpResponseMessage>> send, HttpStatusCode expected, TaskCompletionSource answered)
        {
            while (!stopLoad.IsCancellationRequested)
            {
                var started = clock.Elapsed;
                try
                {
                    using var response = await send();
                    // The whole body, so that an answer cut short counts as a failure.
                    await response.Content.ReadAsByteArrayAsync();
                    requests.Add(new Outcome(kind, started, clock.Elapsed, (int)response.StatusCode, (int)expected, null));
                    answered.TrySetResult();
                }
                catch (Exception exception) when (exception is HttpRequestException or IOException or TaskCanceledException)
                {
                    requests.Add(new Outcome(kind, started, clock.Elapsed, null, (int)expected, exception.GetType().Name));
                    // Nobody listens any more: wait a little rather than spin.
                    await Task.Delay(20, CancellationToken.None);
                }
            }
        }

        async Task<(TimeSpan At, bool ProcessAlive)> ProbeUntilRefusedAsync(Uri address)
        {
            while (true)
            {
                using var probe = new TcpClient();
                try
                {
                    await probe.ConnectAsync(address.Host, address.Port);
                }
                // A connection attempt that meets the listener as it closes is reset rather than refused.
                catch (SocketException exception) when (exception.SocketErrorCode is SocketError.ConnectionRefused or SocketError.ConnectionReset)
                {
                    // Read after the refusal: if the process runs now, it ran when its listener refused.
                    return (clock.Elapsed, !api.HasExited);
                }

                await Task.Delay(5);
            }
        }
    }

    [Fact]
    public async Task The_shutdown_timeout_is_the_hosts_DOTNET_SHUTDOWNTIMEOUTSECONDS_setting()
    {
        // One login at a cost that takes several seconds, and a timeout shorter than that: the app stops waiting for
        // the request when the timeout is up, as an orchestrator's SIGKILL would stop the app at the end of its grace.
        var environment = Environment();
        environment["Auth__BcryptWorkFactor"] = "16";
        environment["DOTNET_SHUTDOWNTIMEOUTSECONDS"] = "1";
        await using var api = await ServingApi.StartAsync(environment);
        // Inserted with its hash made beforehand: registering would spend as long as the login on hashing.
        var email = ApiClient.NewEmail("timeout");
        await InsertUserAsync(email, PasswordAtCost16);
        var clock = Stopwatch.StartNew();
        var login = api.Client.LoginAsync(email);
        await Task.Delay(TimeSpan.FromMilliseconds(500));

        var signalled = clock.Elapsed;
        api.Terminate();
        var exitCode = await api.ExitCodeAsync(TimeSpan.FromSeconds(20));
        var exited = clock.Elapsed;
        var answer = await Record.ExceptionAsync(() => login);
        output.WriteLine($"SIGTERM to exit with a 1 s timeout and a login in flight: {(exited - signalled).TotalMilliseconds:F0} ms; the login: {answer?.GetType().Name ?? "answered"}.");

        Assert.Equal(0, exitCode);
        // The timeout, then at most the second Kestrel gives aborted connections to close (a BCrypt hash in progress
        // does not notice an abort), then the process's own exit.
        Assert.True(exited - signalled < TimeSpan.FromSeconds(4), $"The process took {exited - signalled} to exit.");
        Assert.IsType<HttpRequestException>(answer);
    }

    /// <summary>When the process logged the first line that contains the text, by the line's own timestamp.</summary>
    private static DateTimeOffset LoggedAt(IReadOnlyList<string> output, string text)
    {
        var line = output.FirstOrDefault(line => line.Contains(text, StringComparison.Ordinal));
        Assert.True(line is not null, $"The process never logged \"{text}\":\n{string.Join('\n', output)}");
        using var entry = System.Text.Json.JsonDocument.Parse(line);
        return DateTimeOffset.Parse(entry.RootElement.GetProperty("Timestamp").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Three processes in turn on one database: the first is stopped in the middle of a send, the second has nothing
    /// left to send of it and is stopped while the server never answers another, the third delivers that one.
    /// </summary>
    [Fact]
    public async Task An_email_in_the_middle_of_its_send_at_SIGTERM_is_delivered_exactly_once_and_one_whose_server_never_answers_holds_the_stop_no_longer_than_the_SMTP_timeout_and_is_delivered_once_after_restart()
    {
        var recipient = ApiClient.NewEmail("stopping");
        // The server keeps the message's DATA a while before it answers: the sender is in the middle of the send.
        var hold = TimeSpan.FromSeconds(3);
        _mail.HoldData(hold);
        var clock = Stopwatch.StartNew();
        using (var first = ApiProcess.Launch(Environment()))
        {
            await Patience.UntilAsync(() => Task.FromResult(first.Output.Contains("Application started", StringComparison.Ordinal)), "the process started");
            await TestOutbox.InsertAsync(_database, [recipient], TestOutbox.Notice("Stopping", "in the middle of a send"));
            await _mail.WaitUntilHoldingAsync();

            var signalled = clock.Elapsed;
            first.Terminate();
            var exitCode = await first.ExitCodeAsync(ShutdownTimeout + TimeSpan.FromSeconds(5));
            var exited = clock.Elapsed;
            output.WriteLine($"SIGTERM to exit with a send in progress: {(exited - signalled).TotalMilliseconds:F0} ms (the server held the DATA for {hold.TotalSeconds} s).");

            Assert.Equal(0, exitCode);
            // The process waited for the send and recorded it before it exited.
            Assert.Single(_mail.MessagesTo(recipient));
            Assert.Equal(("Sent", 1), await StatusAndAttemptsAsync(recipient));
            Assert.Contains("Sent email", first.Output, StringComparison.Ordinal);
        }

        // The next process on the same database has nothing left to send, and sends nothing again.
        _mail.HoldData(TimeSpan.Zero);
        var unanswered = ApiClient.NewEmail("unanswered");
        var environment = Environment();
        environment["Email__Smtp__Timeout"] = SmtpTimeout.ToString();
        using (var next = ApiProcess.Launch(environment))
        {
            await Patience.UntilAsync(() => Task.FromResult(next.Output.Contains("Application started", StringComparison.Ordinal)), "the next process started");
            var marker = ApiClient.NewEmail("after-restart");
            await TestOutbox.InsertAsync(_database, [marker], TestOutbox.Notice("After", "the restart"));
            // Once the next process has sent a later message, it has looked at the whole outbox.
            await _mail.NextMessageToAsync(marker);
            Assert.Single(_mail.MessagesTo(recipient));
            Assert.Equal(("Sent", 1), await StatusAndAttemptsAsync(recipient));

            // Then a server that never answers: the process is stopped while it waits for the answer.
            _mail.HoldData(TimeSpan.FromSeconds(60));
            await TestOutbox.InsertAsync(_database, [unanswered], TestOutbox.Notice("Unanswered", "until the SMTP timeout"));
            await _mail.WaitUntilHoldingAsync();
            var holding = clock.Elapsed;
            // SIGTERM gives a send in progress one SMTP timeout more, then abandons it uncounted: signalled at once,
            // that countdown and the SMTP timeout itself would end together, and either could win. Signalled later,
            // the SMTP timeout ends the attempt first, and the row records it.
            await Task.Delay(SendStartToSignal);

            var signalled = clock.Elapsed;
            next.Terminate();
            var exitCode = await next.ExitCodeAsync(ShutdownTimeout + TimeSpan.FromSeconds(5));
            var exited = clock.Elapsed;
            output.WriteLine($"SIGTERM to exit with a mail server that never answers: {(exited - signalled).TotalMilliseconds:F0} ms " +
                $"({(exited - holding).TotalMilliseconds:F0} ms after the server began holding the message).");

            Assert.Equal(0, exitCode);
            // The wait for the server's answer ends at the SMTP timeout after it began, well within the host's shutdown
            // timeout: the sender, not the host, ends the attempt, so the row records it.
            Assert.InRange(exited - holding, SmtpTimeout - TimeSpan.FromSeconds(1), ShutdownTimeout);
            Assert.Equal(("Pending", 1), await StatusAndAttemptsAsync(unanswered));
            Assert.Equal("timeout", (await TestOutbox.RowAsync(_database, unanswered))?.LastError);
            Assert.Empty(_mail.MessagesTo(unanswered));
        }

        _mail.HoldData(TimeSpan.Zero);
        using var last = ApiProcess.Launch(Environment());
        await _mail.NextMessageToAsync(unanswered);
        // The row is marked after the server took the message: on a busy machine, a moment later.
        await Patience.UntilAsync(async () => (await StatusAndAttemptsAsync(unanswered)).Status == "Sent", "the message marked sent");
        await _mail.AssertNoMoreMessagesToAsync(unanswered, expected: 1, wait: TimeSpan.FromSeconds(1));
        Assert.Equal(("Sent", 2), await StatusAndAttemptsAsync(unanswered));
        // Neither later process sent the first message again.
        Assert.Single(_mail.MessagesTo(recipient));
        Assert.Equal(("Sent", 1), await StatusAndAttemptsAsync(recipient));
    }

    /// <summary>A confirmed, active user whose password is <see cref="ApiClient.Password"/>, hashed as given.</summary>
    private Task InsertUserAsync(string email, string passwordHash) => _database.ExecuteAsync(
        "INSERT INTO users (id, email, normalized_email, password_hash, is_active, email_confirmed, session_version, two_factor_enabled) " +
        $"VALUES (gen_random_uuid(), '{email}', '{email}', '{passwordHash}', true, true, 0, false)");

    private static async Task<string> AccessTokenAsync(HttpClient client, string email)
    {
        using var login = await client.LoginAsync(email);
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        using var tokens = System.Text.Json.JsonDocument.Parse(await login.Content.ReadAsStringAsync());
        return tokens.RootElement.GetProperty("accessToken").GetString()!;
    }

    private async Task<(string Status, int Attempts)> StatusAndAttemptsAsync(string recipient) =>
        (await TestOutbox.RowAsync(_database, recipient)) is { } row ? (row.Status, row.Attempts) : ("none", 0);

    private sealed record Outcome(string Kind, TimeSpan Started, TimeSpan Ended, int? Status, int Expected, string? Failure);

    /// <summary>A production process on the test database, sending to the test SMTP server, polling often.</summary>
    private Dictionary<string, string?> Environment()
    {
        var environment = ApiProcess.Production(
            ("ASPNETCORE_URLS", "http://127.0.0.1:0"),
            ("ConnectionStrings__Postgres", _database.ConnectionString),
            ("RateLimiting__PermitLimit", "100000"),
            ("Email__Sender__PollInterval", "00:00:00.200"),
            ("Email__Sender__FirstRetryDelay", "00:00:01"));
        foreach (var (key, value) in ApiProcess.AsEnvironment(_mail.Settings))
        {
            environment[key] = value;
        }

        return environment;
    }
}
