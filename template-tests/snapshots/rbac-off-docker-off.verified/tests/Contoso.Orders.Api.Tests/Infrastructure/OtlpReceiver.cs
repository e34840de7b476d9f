using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Contoso.Orders.Api.Tests.Infrastructure;

/// <summary>
/// An OTLP/HTTP collector on a loopback port: accepts POST /v1/traces, /v1/metrics and /v1/logs with protobuf bodies
/// and keeps what they carry. Every payload also goes to the run's log scan, as the text of its bytes (protobuf
/// strings are plain UTF-8), so that no secret may travel in any field, decoded here or not.
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<string> _payloadTexts = new();

    private OtlpReceiver(WebApplication app) => _app = app;

    public Uri Endpoint { get; private set; } = null!;

    public ConcurrentQueue<(IReadOnlyDictionary<string, string> Resource, OtlpSpan Span)> Spans { get; } = new();

    public ConcurrentQueue<OtlpMetric> Metrics { get; } = new();

    public ConcurrentQueue<OtlpLogRecord> Logs { get; } = new();

    /// <summary>How many export requests arrived, of every signal.</summary>
    public int Requests => _payloadTexts.Count;

    public string PayloadText => string.Join('\n', _payloadTexts);

    /// <summary>Listens on a free loopback port, or on the given port on every loopback address (as "localhost").</summary>
    public static async Task<OtlpReceiver> StartAsync(int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel =>
        {
            if (port == 0)
            {
                kestrel.Listen(IPAddress.Loopback, 0);
            }
            else
            {
                kestrel.ListenLocalhost(port);
            }
        });
        var app = builder.Build();
        var receiver = new OtlpReceiver(app);
        app.Run(receiver.ReceiveAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        receiver.Endpoint = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
        return receiver;
    }

    /// <summary>Waits until <paramref name="condition"/> holds, or fails saying what did not arrive.</summary>
    public Task WaitForAsync(Func<OtlpReceiver, bool> condition, string what) =>
        Patience.UntilAsync(() => condition(this), $"{what} to arrive");

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task ReceiveAsync(HttpContext context)
    {
        var signal = context.Request.Path.Value;
        if (!HttpMethods.IsPost(context.Request.Method) || signal is not ("/v1/traces" or "/v1/metrics" or "/v1/logs"))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        using var body = new MemoryStream();
        var content = context.Request.Headers.ContentEncoding == "gzip" ? new GZipStream(context.Request.Body, CompressionMode.Decompress) : context.Request.Body;
        await content.CopyToAsync(body);
        var payload = body.ToArray();

        var text = $"OTLP {signal}: {Encoding.UTF8.GetString(payload)}";
        _payloadTexts.Enqueue(text);
        TestRun.Logs.Append(text);
        switch (signal)
        {
            case "/v1/traces":
                Array.ForEach(OtlpPayloads.Spans(payload), Spans.Enqueue);
                break;
            case "/v1/metrics":
                Array.ForEach(OtlpPayloads.Metrics(payload), Metrics.Enqueue);
                break;
            default:
                Array.ForEach(OtlpPayloads.Logs(payload), Logs.Enqueue);
                break;
        }

        // An empty Export*ServiceResponse: everything accepted.
        context.Response.ContentType = "application/x-protobuf";
    }
}
