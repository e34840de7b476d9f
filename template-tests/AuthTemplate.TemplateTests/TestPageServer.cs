using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AuthTemplate.TemplateTests;

/// <summary>
/// One HTML page at <c>http://localhost:PORT/</c> and the other paths it is asked to serve it at (the pages an external
/// sign-in returns to), on a port of its own: an origin other than the API's, as a browser front end has, so that the
/// page goes through CORS, the API's list of passkey origins and its allowed return URLs.
/// </summary>
public sealed class TestPageServer : IAsyncDisposable
{
    readonly WebApplication app;

    TestPageServer(WebApplication app, int port)
    {
        this.app = app;
        Origin = $"http://localhost:{port}";
    }

    /// <summary>The page's origin, spelled <c>localhost</c>: the host WebAuthn compares with the rpId <c>localhost</c>.</summary>
    public string Origin { get; }

    /// <summary>Serves <paramref name="html"/> at <c>/</c> and at each of <paramref name="otherPaths"/>, on a port the
    /// system chose when it was bound, so no other process can take it between choosing and binding.</summary>
    public static async Task<TestPageServer> StartAsync(string html, params string[] otherPaths)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = Path.GetTempPath() });
        builder.Logging.ClearProviders();
        // Chromium reaches localhost on 127.0.0.1 when ::1 refuses, so the one loopback address is enough.
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        foreach (var path in otherPaths.Prepend("/"))
            app.MapGet(path, () => Results.Content(html, "text/html; charset=utf-8"));
        await app.StartAsync();
        // Once started, the addresses are the bound ones, with the port the system chose.
        return new TestPageServer(app, new Uri(app.Urls.Single()).Port);
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
