using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Contoso.Auth_Api.Api.Tests.Infrastructure;

/// <summary>The built API serving as a process of its own on a free loopback port, one replica of a deployment.</summary>
public sealed class ApiServer : IAsyncDisposable
{
    private readonly Process _process;

    private ApiServer(Process process, Uri address)
    {
        _process = process;
        Address = address;
        Client = new HttpClient { BaseAddress = address };
    }

    public Uri Address { get; }

    public HttpClient Client { get; }

    /// <summary>Starts the API with the given environment and waits until it is ready.</summary>
    public static async Task<ApiServer> StartAsync(IReadOnlyDictionary<string, string?> environment)
    {
        var address = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{FreePort()}"));
        var process = ApiProcess.Start(new Dictionary<string, string?>(environment) { ["ASPNETCORE_URLS"] = address.ToString() });
        // Read as it comes: a process whose output nobody reads stops when the pipe is full.
        process.OutputDataReceived += (_, line) => TestRun.Logs.Append(line.Data ?? "");
        process.ErrorDataReceived += (_, line) => TestRun.Logs.Append(line.Data ?? "");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new ApiServer(process, address);

        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline && !process.HasExited)
        {
            try
            {
                if ((await server.Client.GetAsync("/health/ready")).IsSuccessStatusCode)
                {
                    return server;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(200);
        }

        await server.DisposeAsync();
        throw new TimeoutException($"The API at {address} was not ready within a minute (exited: {process.HasExited}).");
    }

    public ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(TimeSpan.FromSeconds(10));
        }

        _process.Dispose();
        return ValueTask.CompletedTask;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
