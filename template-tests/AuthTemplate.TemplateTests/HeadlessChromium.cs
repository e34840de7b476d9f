using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Playwright;

namespace AuthTemplate.TemplateTests;

/// <summary>
/// Debian's Chromium, headless, driven by Playwright, with one page whose WebAuthn calls are answered by a virtual
/// authenticator (Chromium's DevTools <c>WebAuthn</c> domain): a platform authenticator that keeps discoverable
/// credentials and verifies its user, as a phone or a laptop with a fingerprint reader does. Playwright only drives
/// the browser installed at <see cref="ExecutablePath"/>; it never downloads one.
/// </summary>
public sealed class HeadlessChromium : IAsyncDisposable
{
    public const string ExecutablePath = "/usr/bin/chromium";
    // Generous: every wait below ends as soon as its signal comes, and a machine with every core busy starts a
    // browser and its renderer several times slower than an idle one.
    const float TimeoutMilliseconds = 120_000;

    readonly IPlaywright playwright;
    readonly IBrowser browser;
    readonly ICDPSession devTools;
    readonly string authenticatorId;
    readonly ConcurrentQueue<string> log = new();

    HeadlessChromium(IPlaywright playwright, IBrowser browser, IPage page, ICDPSession devTools, string authenticatorId)
    {
        this.playwright = playwright;
        this.browser = browser;
        Page = page;
        this.devTools = devTools;
        this.authenticatorId = authenticatorId;
        page.Console += (_, message) => log.Enqueue($"console.{message.Type}: {message.Text}");
        page.PageError += (_, error) => log.Enqueue($"page error: {error}");
        page.RequestFailed += (_, request) => log.Enqueue($"request failed: {request.Method} {request.Url}: {request.Failure}");
        page.Response += (_, response) => log.Enqueue($"{response.Request.Method} {response.Url} -> {response.Status}");
        page.FrameNavigated += (_, frame) =>
        {
            if (frame == page.MainFrame)
                log.Enqueue($"navigated to {frame.Url}");
        };
    }

    public IPage Page { get; }

    /// <summary>What the page logged, threw and requested so far, one line each: the detail a failure message needs.</summary>
    public string Log => log.IsEmpty ? "  (nothing)" : string.Join('\n', log.Select(line => "  " + line));

    public static async Task<HeadlessChromium> LaunchAsync()
    {
        if (!File.Exists(ExecutablePath))
            throw new InvalidOperationException($"{ExecutablePath} is missing: install Debian's chromium (apt-get install chromium); .ci/run does.");

        var playwright = await Playwright.CreateAsync();
        IBrowser? browser = null;
        try
        {
            browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = ExecutablePath,
                Headless = true,
                // The tests run as root, where Chromium's sandbox cannot start.
                ChromiumSandbox = false,
                Args = ["--no-sandbox"],
                Timeout = TimeoutMilliseconds,
            });
            var context = await browser.NewContextAsync();
            context.SetDefaultTimeout(TimeoutMilliseconds);
            context.SetDefaultNavigationTimeout(TimeoutMilliseconds);
            var page = await context.NewPageAsync();
            var devTools = await context.NewCDPSessionAsync(page);
            await devTools.SendAsync("WebAuthn.enable");
            var added = await devTools.SendAsync("WebAuthn.addVirtualAuthenticator", new Dictionary<string, object>
            {
                ["options"] = new Dictionary<string, object>
                {
                    ["protocol"] = "ctap2",
                    ["transport"] = "internal",
                    ["hasResidentKey"] = true,
                    ["hasUserVerification"] = true,
                    ["isUserVerified"] = true,
                },
            });
            var authenticatorId = added?.GetProperty("authenticatorId").GetString()
                ?? throw new InvalidOperationException("WebAuthn.addVirtualAuthenticator answered no authenticatorId.");
            return new HeadlessChromium(playwright, browser, page, devTools, authenticatorId);
        }
        catch
        {
            if (browser is not null)
                await browser.CloseAsync();
            playwright.Dispose();
            throw;
        }
    }

    /// <summary>The credentials the virtual authenticator holds, as <c>WebAuthn.getCredentials</c> describes them.</summary>
    public async Task<IReadOnlyList<JsonElement>> CredentialsAsync()
    {
        var answer = await devTools.SendAsync("WebAuthn.getCredentials", new Dictionary<string, object> { ["authenticatorId"] = authenticatorId });
        return answer?.GetProperty("credentials").EnumerateArray().Select(credential => credential.Clone()).ToList() ?? [];
    }

    public async ValueTask DisposeAsync()
    {
        await browser.CloseAsync();
        playwright.Dispose();
    }
}
