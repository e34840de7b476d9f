using System.Net;
using System.Net.Sockets;

namespace Contoso.Orders.Api.Tests.Infrastructure;

/// <summary>
/// A loopback TCP proxy in front of the PostgreSQL test server, so that a test can take the database away from a
/// running app and give it back, without touching the server other tests use. <see cref="Refuse"/> closes every
/// connection and refuses new ones (a stopped server); <see cref="Blackhole"/> accepts connections and never answers
/// (a server behind a dropped network); <see cref="Stall"/> keeps every connection open but lets nothing through
/// either way (a network that drops packets silently, under connections that do not know it yet);
/// <see cref="Restore"/> forwards again.
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly string _targetHost;
    private readonly int _targetPort;
    private readonly List<TcpClient> _connections = [];
    private readonly CancellationTokenSource _stopping = new();
    private TcpListener? _listener;
    private volatile bool _blackhole;
    private volatile bool _stalled;

    public TcpProxy(string targetHost, int targetPort)
    {
        _targetHost = targetHost;
        _targetPort = targetPort;
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        Port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Restore();
    }

    public int Port { get; }

    public void Refuse()
    {
        _listener?.Stop();
        _listener = null;
        CloseConnections();
    }

    public void Blackhole()
    {
        _blackhole = true;
        CloseConnections();
    }

    public void Stall()
    {
        _stalled = true;
        _blackhole = true;
    }

    public void Restore()
    {
        _stalled = false;
        _blackhole = false;
        if (_listener is not null)
        {
            return;
        }

        var listener = new TcpListener(IPAddress.Loopback, Port);
        listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Start();
        _listener = listener;
        _ = AcceptAsync(listener);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        Refuse();
        _stopping.Dispose();
    }

    private async Task AcceptAsync(TcpListener listener)
    {
        while (!_stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(_stopping.Token);
            }
            catch (Exception exception) when (exception is SocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
            {
                return;
            }

            lock (_connections)
            {
                _connections.Add(client);
            }

            if (!_blackhole)
            {
                _ = ForwardAsync(client);
            }
        }
    }

    private async Task ForwardAsync(TcpClient client)
    {
        using var server = new TcpClient();
        try
        {
            await server.ConnectAsync(_targetHost, _targetPort, _stopping.Token);
            lock (_connections)
            {
                _connections.Add(server);
            }

            var clientStream = client.GetStream();
            var serverStream = server.GetStream();
            await Task.WhenAny(CopyAsync(clientStream, serverStream), CopyAsync(serverStream, clientStream));
        }
        catch (Exception exception) when (exception is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // A cut connection ends here; the app sees it broken, as with a server that went away.
        }
        finally
        {
            client.Dispose();
        }
    }

    /// <summary>Forwards one direction; while stalled, what arrives is held back, as a dropped network would.</summary>
    private async Task CopyAsync(Stream from, Stream to)
    {
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await from.ReadAsync(buffer, _stopping.Token)) > 0)
        {
            while (_stalled)
            {
                await Task.Delay(10, _stopping.Token);
            }

            await to.WriteAsync(buffer.AsMemory(0, read), _stopping.Token);
        }
    }

    private void CloseConnections()
    {
        lock (_connections)
        {
            foreach (var connection in _connections)
            {
                connection.Dispose();
            }

            _connections.Clear();
        }
    }
}
