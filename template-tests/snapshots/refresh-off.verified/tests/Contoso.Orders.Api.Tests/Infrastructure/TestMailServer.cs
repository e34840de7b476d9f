using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using MimeKit;
using SmtpServer;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace Contoso.Orders.Api.Tests.Infrastructure;

/// <summary>
/// A real SMTP server (the SmtpServer package) on a free loopback port, in the test process: the app sends to it over
/// TCP exactly as it sends to a production server, and tests read what arrived, parsed by MimeKit.
/// <see cref="Stop"/> and <see cref="Start"/> take it away and give it back on the same port (an SMTP outage);
/// <see cref="HoldData"/> makes it a slow server, which keeps a sender in the middle of a message.
/// </summary>
public sealed partial class TestMailServer : IAsyncDisposable
{
    private readonly List<ReceivedMail> _received = [];
    private readonly List<Waiter> _waiters = [];
    private readonly Lock _lock = new();
    private SmtpServer.SmtpServer? _server;
    private CancellationTokenSource? _running;
    private Task _serving = Task.CompletedTask;
    private TimeSpan _dataHold;
    private TaskCompletionSource _holding = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TestMailServer()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        Port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Start();
    }

    public const string Host = "127.0.0.1";

    public int Port { get; }

    /// <summary>The app settings that send mail here (plain SMTP on loopback, no authentication).</summary>
    public Dictionary<string, string?> Settings => new()
    {
        ["Email:Smtp:Host"] = Host,
        ["Email:Smtp:Port"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Email:Smtp:Security"] = "None",
    };

    /// <summary>Every message received so far, oldest first.</summary>
    public IReadOnlyList<MimeMessage> Messages
    {
        get
        {
            lock (_lock)
            {
                return _received.Select(mail => mail.Message).ToList();
            }
        }
    }

    /// <summary>Every message received so far for the address (an SMTP recipient, compared without case).</summary>
    public IReadOnlyList<MimeMessage> MessagesTo(string address)
    {
        lock (_lock)
        {
            return _received.Where(mail => mail.IsFor(address)).Select(mail => mail.Message).ToList();
        }
    }

    /// <summary>
    /// The next message for the address that no earlier call returned: one already received, or the first to arrive
    /// within the timeout (<see cref="Patience.Limit"/> unless given). Successive calls return successive messages.
    /// </summary>
    public Task<MimeMessage> NextMessageToAsync(string address, TimeSpan? timeout = null)
    {
        Waiter waiter;
        lock (_lock)
        {
            var unclaimed = _received.FirstOrDefault(mail => mail.IsFor(address) && !mail.ClaimedBy.Contains(address, StringComparer.OrdinalIgnoreCase));
            if (unclaimed is not null)
            {
                unclaimed.ClaimedBy.Add(address);
                return Task.FromResult(unclaimed.Message);
            }

            waiter = new Waiter(address);
            _waiters.Add(waiter);
        }

        var limit = timeout ?? Patience.Limit;
        return WaitAsync(waiter, limit);
    }

    /// <summary>Waits as long as the timeout (2 seconds unless given) and asserts that nothing more arrived for the address.</summary>
    public async Task AssertNoMoreMessagesToAsync(string address, int expected, TimeSpan? wait = null)
    {
        await Task.Delay(wait ?? TimeSpan.FromSeconds(2));
        Assert.Equal(expected, MessagesTo(address).Count);
    }

    /// <summary>
    /// From now on, each message's DATA is held this long after it has all arrived before the server answers and keeps
    /// the message, as a slow server does; zero answers at once again. A message whose sender hangs up during the hold
    /// is not kept: the server never answered it.
    /// </summary>
    public void HoldData(TimeSpan hold)
    {
        lock (_lock)
        {
            _dataHold = hold;
            _holding = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    /// <summary>Completes when the server begins holding a message's DATA (see <see cref="HoldData"/>).</summary>
    public Task WaitUntilHoldingAsync()
    {
        lock (_lock)
        {
            return Patience.ForAsync(_holding.Task, "the mail server to begin holding a message");
        }
    }

    /// <summary>
    /// Holds the DATA as <see cref="HoldData"/> asked; false when the sender hung up during the hold, which leaves the
    /// server without the message, as a careful server that never answered it does.
    /// </summary>
    private async Task<bool> HoldAsync(ISessionContext context, CancellationToken cancellationToken)
    {
        TimeSpan hold;
        TaskCompletionSource holding;
        lock (_lock)
        {
            hold = _dataHold;
            holding = _holding;
        }

        if (hold <= TimeSpan.Zero)
        {
            return true;
        }

        holding.TrySetResult();
        var input = context.Pipe.Input;
        var elapsed = Task.Delay(hold, cancellationToken);
        // A sender waiting for the answer writes nothing: a read ends only when it hangs up.
        var read = input.ReadAsync(cancellationToken).AsTask();
        if (await Task.WhenAny(elapsed, read) == elapsed)
        {
            input.CancelPendingRead();
            var cancelled = await read;
            input.AdvanceTo(cancelled.Buffer.Start);
            return true;
        }

        try
        {
            var result = await read;
            input.AdvanceTo(result.Buffer.Start);
            return !result.IsCompleted;
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Takes the server away: connections are refused until <see cref="Start"/>.</summary>
    public void Stop()
    {
        lock (_lock)
        {
            _running?.Cancel();
            _server?.Shutdown();
            _server = null;
        }

        _serving.Wait(TimeSpan.FromSeconds(10));
    }

    /// <summary>Serves (again) on the same port.</summary>
    public void Start()
    {
        lock (_lock)
        {
            if (_server is not null)
            {
                return;
            }

            var options = new SmtpServerOptionsBuilder()
                .ServerName("localhost")
                .Endpoint(endpoint => endpoint.Endpoint(new IPEndPoint(IPAddress.Loopback, Port)))
                .Build();
            var services = new SmtpServer.ComponentModel.ServiceProvider();
            services.Add(new Store(this));
            _server = new SmtpServer.SmtpServer(options, services);
            _running = new CancellationTokenSource();
            _serving = _server.StartAsync(_running.Token);
        }

        WaitUntilListening();
    }

    public async ValueTask DisposeAsync()
    {
        Stop();
        await Task.CompletedTask;
    }

    private void WaitUntilListening()
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(20);
            }
        }
    }

    private async Task<MimeMessage> WaitAsync(Waiter waiter, TimeSpan timeout)
    {
        try
        {
            return await waiter.Arrived.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            lock (_lock)
            {
                _waiters.Remove(waiter);
            }

            // A message may have arrived in the very moment the wait ended.
            if (waiter.Arrived.Task.IsCompletedSuccessfully)
            {
                return waiter.Arrived.Task.Result;
            }

            throw new TimeoutException($"No message to {waiter.Address} arrived within {timeout.TotalSeconds} s ({Messages.Count} received in all).");
        }
    }

    private void Receive(IReadOnlyList<string> recipients, MimeMessage message)
    {
        RememberSecretsIn(message);
        lock (_lock)
        {
            var mail = new ReceivedMail(recipients, message);
            _received.Add(mail);
            foreach (var waiter in _waiters.Where(waiter => mail.IsFor(waiter.Address)).ToList())
            {
                if (mail.ClaimedBy.Contains(waiter.Address, StringComparer.OrdinalIgnoreCase))
                {
                    continue;
                }

                mail.ClaimedBy.Add(waiter.Address);
                _waiters.Remove(waiter);
                waiter.Arrived.TrySetResult(message);
            }
        }
    }

    /// <summary>
    /// The bodies of emails and the tokens in them must never reach a log: the run's log scan looks for each (see
    /// <see cref="TestRun"/>).
    /// </summary>
    private static void RememberSecretsIn(MimeMessage message)
    {
        TestRun.RememberSecret(message.TextBody?.Trim());
        foreach (Match token in Token().Matches(message.TextBody ?? ""))
        {
            TestRun.RememberSecret(token.Groups["token"].Value);
        }
    }

    [GeneratedRegex("token=(?<token>[A-Za-z0-9_-]{16,})")]
    private static partial Regex Token();

    private sealed record ReceivedMail(IReadOnlyList<string> Recipients, MimeMessage Message)
    {
        public List<string> ClaimedBy { get; } = [];

        public bool IsFor(string address) => Recipients.Contains(address, StringComparer.OrdinalIgnoreCase);
    }

    private sealed record Waiter(string Address)
    {
        public TaskCompletionSource<MimeMessage> Arrived { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class Store(TestMailServer server) : MessageStore
    {
        public override async Task<SmtpResponse> SaveAsync(
            ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
        {
            using var stream = new MemoryStream(buffer.ToArray());
            var message = await MimeMessage.LoadAsync(stream, cancellationToken);
            var recipients = transaction.To.Select(mailbox => $"{mailbox.User}@{mailbox.Host}").ToList();
            if (!await server.HoldAsync(context, cancellationToken))
            {
                return SmtpResponse.TransactionFailed;
            }

            server.Receive(recipients, message);
            return SmtpResponse.Ok;
        }
    }
}
