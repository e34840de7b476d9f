using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Contoso.Orders.Api.Tests.Infrastructure;

/// <summary>
/// The built API serving requests as its own process on a free loopback port, with its console output kept line by
/// line; disposing it stops the process and hands that output to the run's log scan.
/// </summary>
public sealed class ServingApi : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = [];
    private readonly List<string> _error = [];

    private ServingApi(Process process, Uri address)
    {
        _process = process;
        Client = new HttpClient { BaseAddress = address };
        process.OutputDataReceived += (_, line) => Keep(_output, line.Data);
        process.ErrorDataReceived += (_, line) => Keep(_error, line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public HttpClient Client { get; }

    /// <summary>Where the process listens, for clients of a test's own making.</summary>
    public Uri Address => Client.BaseAddress!;

    public bool HasExited => _process.HasExited;

    /// <summary>SIGTERM: the process is asked to stop (see <see cref="ApiProcess.Terminate"/>).</summary>
    public void Terminate() => ApiProcess.Terminate(_process);

    /// <summary>Waits for the process to exit and returns its exit code.</summary>
    public Task<int> ExitCodeAsync(TimeSpan timeout) => ApiProcess.ExitCodeAsync(_process, timeout);

    /// <summary>What the process wrote to standard output so far, one entry a line.</summary>
    public IReadOnlyList<string> StandardOutput
    {
        get
        {
            lock (_output)
            {
                return [.. _output];
            }
        }
    }

    public string StandardError
    {
        get
        {
            lock (_error)
            {
                return string.Join('\n', _error);
            }
        }
    }

    /// <summary>
    /// Starts the API with the given environment (plus the address it listens on) and waits until the probe answers
    /// 200: <c>/health/live</c> once it serves, <c>/health/ready</c> once it also reaches the database.
    /// </summary>
    public static async Task<ServingApi> StartAsync(IDictionary<string, string?> environment, string probe = "/health/live")
    {
        var address = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{FreePort()}"));
        var serving = new ServingApi(ApiProcess.Start(new Dictionary<string, string?>(environment) { ["ASPNETCORE_URLS"] = address.ToString() }), address);
        var deadline = DateTime.UtcNow + Patience.Limit;
        while (!await serving.AnswersAsync(probe))
        {
            if (serving._process.HasExited || DateTime.UtcNow > deadline)
            {
                await serving.DisposeAsync();
                Assert.Fail($"The API did not answer {probe} within {Patience.Limit.TotalSeconds:F0} s (exited: {serving._process.HasExited}): " +
                    $"{serving.StandardError}\n{string.Join('\n', serving.StandardOutput)}");
            }

            await Task.Delay(50);
        }

        return serving;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        TestRun.Logs.Append($"serve: {string.Join('\n', StandardOutput)}\n{StandardError}");
        _process.Dispose();
    }

    private async Task<bool> AnswersAsync(string probe)
    {
        try
        {
            return (await Client.GetAsync(probe)).StatusCode == HttpStatusCode.OK;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    private static void Keep(List<string> lines, string? line)
    {
        if (line is not null)
        {
            lock (lines)
            {
                lines.Add(line);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
