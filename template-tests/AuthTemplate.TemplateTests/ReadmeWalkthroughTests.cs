using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace AuthTemplate.TemplateTests;

/// <summary>
/// The generated README's "Run it in five minutes", as written: its own commands, in a fresh generation, against the
/// PostgreSQL it tells a newcomer to start (user <c>postgres</c>, password <c>postgres</c> on localhost:5432). The
/// migrate and run commands, then every curl block: register, read the confirmation from the pickup folder, confirm,
/// log in, read the user; forgot the password, read the reset email, reset. Then "Two-factor sign-in" as written:
/// setup, a code from <c>oathtool</c>, enable, and a login through its second step. Then "Passkeys": its JavaScript,
/// as written, in a page of another origin in headless Chromium with a virtual authenticator, adds a passkey to the
/// signed-in user and signs in with it. Then "External sign-in": its JavaScript, as written, in the same page, against
/// a small OpenID provider of the test's own (<see cref="TestOpenIdProvider"/>): the browser goes from the page to the
/// API, the provider and back, and the page exchanges the code for tokens of a new account; then the walkthrough's
/// user links the provider to its account.
/// </summary>
[Collection(ConventionalPostgres.CollectionName)]
public sealed partial class ReadmeWalkthroughTests(ConventionalPostgres postgres, ITestOutputHelper output)
{
    const string Section = "## Run it in five minutes";
    const string TwoFactorSection = "## Two-factor sign-in";
    const string PasskeysSection = "## Passkeys";
    const string ExternalSignInSection = "## External sign-in";
    // The provider's name in the API's settings and URLs, and what the front end shows.
    const string Provider = "test";
    const string ProviderDisplayName = "Walkthrough SSO";
    // The password the walkthrough's reset set and its two-factor flow uses.
    const string Password = "an even better passphrase";
    static readonly TimeSpan StepTimeout = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task The_generated_readmes_walkthrough_works_as_written()
    {
        var variant = Variants.Find("default");
        var generated = await TemplateRun.Current.Generated(variant);
        var blocks = BashBlocks(SectionText(generated.Files.ReadText("README.md"), Section));
        var serve = blocks.SelectMany(block => block.Split('\n')).Select(line => line.Trim())
            .Where(line => line.StartsWith("dotnet run ", StringComparison.Ordinal)).ToList();
        Assert.True(serve.Count == 2 && serve[0].EndsWith("-- migrate", StringComparison.Ordinal),
            $"[{variant.Scenario}] README.md's walkthrough should run `-- migrate`, then serve; it has: {string.Join(" | ", serve)}");
        var walks = blocks.Where(block => block.Contains("curl ", StringComparison.Ordinal)).ToList();
        Assert.True(walks.Count == 2, $"[{variant.Scenario}] README.md's walkthrough should have two curl blocks (the account, then a reset); it has {walks.Count}.");
        var twoFactor = BashBlocks(SectionText(generated.Files.ReadText("README.md"), TwoFactorSection));
        Assert.True(twoFactor.Count == 1, $"[{variant.Scenario}] README.md's \"{TwoFactorSection}\" should have one bash block (the whole flow); it has {twoFactor.Count}.");
        var passkeyScripts = CodeBlocks(SectionText(generated.Files.ReadText("README.md"), PasskeysSection), "js");
        Assert.True(passkeyScripts.Count == 1, $"[{variant.Scenario}] README.md's \"{PasskeysSection}\" should have one js block (the browser side); it has {passkeyScripts.Count}.");
        var externalScripts = CodeBlocks(SectionText(generated.Files.ReadText("README.md"), ExternalSignInSection), "js");
        Assert.True(externalScripts.Count == 1, $"[{variant.Scenario}] README.md's \"{ExternalSignInSection}\" should have one js block (the browser side); it has {externalScripts.Count}.");
        var baseUrl = BaseUrl().Match(walks[0]) is { Success: true } url
            ? $"http://{url.Groups["host"].Value}"
            : throw new InvalidOperationException("The walkthrough's curl commands name no localhost:PORT.");

        var port = await postgres.Port;
        output.WriteLine(postgres.Describe(port));
        var directory = Path.Combine(TemplateRun.Current.FreshDirectory("walkthrough"), variant.Name);
        generated.Files.WriteTo(directory);
        // Development's generated signing key goes under the user profile: a profile of this test's own.
        var environment = new Dictionary<string, string?>
        {
            ["XDG_CONFIG_HOME"] = Path.Combine(directory, "..", "profile"),
            ["ConnectionStrings__Postgres"] = null,
            ["ASPNETCORE_ENVIRONMENT"] = null,
        };
        if (port != ConventionalPostgres.DocumentedPort)
        {
            environment["ConnectionStrings__Postgres"] = ConventionalPostgres.WithPort(
                $"Host=localhost;Port={ConventionalPostgres.DocumentedPort};Database=contoso_orders;Username={ConventionalPostgres.User};Password={ConventionalPostgres.Password}", port);
            output.WriteLine($"ConnectionStrings__Postgres={environment["ConnectionStrings__Postgres"]}");
        }

        await TemplateRun.Current.InPipelineSlotAsync($"{variant.Scenario}: README walkthrough", async () =>
        {
            // Started first, so that the API is started knowing the page's origin and the provider, on ports already bound.
            await using var page = await TestPageServer.StartAsync(TestPage(passkeyScripts[0], externalScripts[0]), "/signed-in", "/account");
            environment["Passkeys__Origins__0"] = page.Origin;
            environment["Cors__AllowedOrigins__0"] = page.Origin;
            output.WriteLine($"The test page is served at {page.Origin}/, /signed-in and /account (Passkeys__Origins__0, Cors__AllowedOrigins__0).");
            // The redirect URI the README says to register: Development's Jwt:Issuer is the walkthrough's base URL.
            await using var provider = await TestOpenIdProvider.StartAsync($"{baseUrl}/api/v1/auth/external/{Provider}/callback");
            environment["ExternalLogin__AllowedReturnUrls__0"] = page.Origin + "/";
            environment[$"ExternalLogin__Providers__{Provider}__DisplayName"] = ProviderDisplayName;
            environment[$"ExternalLogin__Providers__{Provider}__Authority"] = provider.Authority;
            environment[$"ExternalLogin__Providers__{Provider}__ClientId"] = TestOpenIdProvider.ClientId;
            environment[$"ExternalLogin__Providers__{Provider}__ClientSecret"] = provider.ClientSecret;
            output.WriteLine($"The OpenID provider \"{Provider}\" is {provider.Authority}, its redirect URI {provider.RedirectUri}.");

            async Task<CommandResult> Bash(string what, string script)
            {
                var result = await CommandRunner.RunAsync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", script], directory, StepTimeout, environment);
                output.WriteLine($"exit {result.ExitCode}, {result.Duration.TotalSeconds:F1} s: {what}");
                Assert.True(result.Succeeded, result.Describe($"[{variant.Scenario}] {what} failed.", tailLines: 40));
                return result;
            }

            // What `dotnet new` does after generating unless told --skip-restore, as the pinned variants are.
            await Bash("dotnet restore", "dotnet restore");
            await Bash(serve[0], serve[0]);
            var serverLog = new OutputTail(80);
            using var server = StartServer(serve[1], directory, environment, serverLog);
            try
            {
                using var http = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(10) };
                await WaitUntilReadyAsync(http, server, variant);

                var account = await Bash("the walkthrough's register, confirm, log in and read the user", walks[0]);
                Assert.Matches("\"email\":\"alice@example.com\"", account.StandardOutput);
                Assert.Matches("\"emailConfirmed\":true", account.StandardOutput);

                await Bash("the walkthrough's forgot and reset", walks[1]);
                var oldPassword = await http.PostAsJsonAsync("/api/v1/auth/login", new { email = "alice@example.com", password = "correct horse battery staple" });
                var newPassword = await http.PostAsJsonAsync("/api/v1/auth/login", new { email = "alice@example.com", password = Password });
                Assert.Equal(HttpStatusCode.Unauthorized, oldPassword.StatusCode);
                Assert.Equal(HttpStatusCode.OK, newPassword.StatusCode);

                var signedIn = await Bash("the two-factor flow: setup, enable with oathtool's code, log in with the challenge", twoFactor[0]);
                Assert.Matches("\"recoveryCodes\":\\[(\"[2-9A-Z-]{14}\",?){10}\\]", signedIn.StandardOutput);
                Assert.Matches("\"accessToken\":\"[^\"]+\"", signedIn.StandardOutput);
                var asked = await http.PostAsJsonAsync("/api/v1/auth/login", new { email = "alice@example.com", password = Password });
                Assert.Equal(HttpStatusCode.Forbidden, asked.StatusCode);
                Assert.Contains("two-factor-required", await asked.Content.ReadAsStringAsync(), StringComparison.Ordinal);

                var accessToken = AccessToken().Matches(signedIn.StandardOutput)[^1].Groups["token"].Value;
                await PasskeyInChromiumAsync(variant, http, page, accessToken, serverLog);
                await ExternalSignInInChromiumAsync(variant, http, page, provider, accessToken, serverLog);
            }
            finally
            {
                server.Kill(entireProcessTree: true);
                await server.WaitForExitAsync();
            }

            return true;
        });
    }

    /// <summary>
    /// The README's passkey JavaScript in a page of its own origin, in Chromium with a virtual authenticator: the user
    /// the walkthrough signed in (with two factors) adds a passkey, signs in with it naming no account, and reads
    /// itself with the new token. Checked from outside the page: the API lists the passkey, the authenticator holds it
    /// as a discoverable credential, the new token says <c>hwk</c> and belongs to the same user.
    /// </summary>
    async Task PasskeyInChromiumAsync(Variant variant, HttpClient http, TestPageServer page, string accessToken, OutputTail serverLog)
    {
        const string name = "Walkthrough laptop";
        var started = Stopwatch.StartNew();
        try
        {
            await using var chromium = await HeadlessChromium.LaunchAsync();
            output.WriteLine($"Chromium with a virtual authenticator started in {started.Elapsed.TotalSeconds:F1} s.");
            string Detail(string headline) =>
                $"[{variant.Scenario}] {headline}\nWhat the page did:\n{chromium.Log}\nThe API's last output:\n{serverLog}";

            string answer;
            try
            {
                await chromium.Page.GotoAsync(page.Origin + "/");
                answer = await chromium.Page.EvaluateAsync<string>(
                    "([api, accessToken, password, name]) => passkeyRoundTrip(api, accessToken, password, name)",
                    new[] { http.BaseAddress!.ToString().TrimEnd('/'), accessToken, Password, name }).WaitAsync(StepTimeout);
            }
            catch (Exception exception) when (exception is System.TimeoutException or PlaywrightException)
            {
                throw new XunitException(Detail($"The page's passkey round trip did not finish: {exception.Message}"));
            }

            using var outcome = JsonDocument.Parse(answer);
            var result = outcome.RootElement;
            if (result.TryGetProperty("error", out var error))
                Assert.Fail(Detail($"The README's passkey JavaScript failed at {result.GetProperty("step")}: {error}\n{result.GetProperty("stack")}"));
            output.WriteLine($"The page added a passkey, signed in with it and read the user in {started.Elapsed.TotalSeconds:F1} s in all.");

            var passkey = result.GetProperty("passkey");
            Assert.True(passkey.GetProperty("name").GetString() == name, Detail($"addPasskey returned {passkey}, not the passkey named \"{name}\"."));
            var credentials = await chromium.CredentialsAsync();
            Assert.True(credentials is [{ } credential] && credential.GetProperty("isResidentCredential").GetBoolean() && credential.GetProperty("rpId").GetString() == "localhost",
                Detail($"The authenticator should hold one discoverable credential for rpId localhost; it holds {credentials.Count}: " +
                       string.Join(", ", credentials.Select(held => $"rpId {held.GetProperty("rpId")}, resident {held.GetProperty("isResidentCredential")}"))));

            using var listing = new HttpRequestMessage(HttpMethod.Get, "/api/v1/users/me/passkeys");
            listing.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
            var listed = await http.SendAsync(listing);
            var listedBody = await listed.Content.ReadAsStringAsync();
            Assert.True(listed.StatusCode == HttpStatusCode.OK, Detail($"GET /api/v1/users/me/passkeys answered {(int)listed.StatusCode}: {listedBody}"));
            using var listedPasskeys = JsonDocument.Parse(listedBody);
            Assert.True(listedPasskeys.RootElement.EnumerateArray().Any(item =>
                    item.GetProperty("id").GetString() == passkey.GetProperty("id").GetString() && item.GetProperty("name").GetString() == name),
                Detail($"GET /api/v1/users/me/passkeys does not list the passkey the page added ({passkey}): {listedBody}"));

            var methods = AuthenticationMethods(result.GetProperty("tokens").GetProperty("accessToken").GetString()!);
            Assert.True(methods.Contains("hwk") && methods.Contains("mfa") && !methods.Contains("pwd"),
                Detail($"A passkey sign-in's access token should say amr [\"hwk\",\"mfa\"]; it says [{string.Join(", ", methods)}]."));

            using var reading = new HttpRequestMessage(HttpMethod.Get, "/api/v1/users/me");
            reading.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
            var before = await http.SendAsync(reading);
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
            using var expected = JsonDocument.Parse(await before.Content.ReadAsStringAsync());
            var me = result.GetProperty("me");
            Assert.True(me.GetProperty("status").GetInt32() == 200, Detail($"GET /api/v1/users/me with the passkey's token answered {me}"));
            using var actual = JsonDocument.Parse(me.GetProperty("body").GetString()!);
            foreach (var field in new[] { "id", "email" })
                Assert.True(expected.RootElement.GetProperty(field).GetString() == actual.RootElement.GetProperty(field).GetString(),
                    Detail($"The passkey signed in another user: {field} {actual.RootElement.GetProperty(field)}, not the walkthrough's {expected.RootElement.GetProperty(field)}."));
        }
        finally
        {
            TemplateRun.Current.RecordPhase($"{variant.Scenario}: passkeys in Chromium", started.Elapsed);
        }
    }

    /// <summary>
    /// The README's external sign-in JavaScript, in the test page, against <see cref="TestOpenIdProvider"/>: the page
    /// lists the providers, <c>signInWith</c> sends the browser to the API's start, the provider and the API's
    /// callback, which lands it on <c>/signed-in#code=...</c>, where <c>finishSignIn</c> exchanges the code for the tokens
    /// of a new account (the provider's verified address, no second factor asked). Then the walkthrough's user, signed
    /// in, links the provider with <c>linkProvider</c> and <c>finishLink</c> on <c>/account</c>. Checked from outside
    /// the page: the new tokens read the provider's user, confirmed, with <c>amr</c> <c>["fed"]</c>, and each account
    /// lists its link.
    /// </summary>
    async Task ExternalSignInInChromiumAsync(Variant variant, HttpClient http, TestPageServer page, TestOpenIdProvider provider, string accessToken, OutputTail serverLog)
    {
        var api = http.BaseAddress!.ToString().TrimEnd('/');
        var started = Stopwatch.StartNew();
        try
        {
            await using var chromium = await HeadlessChromium.LaunchAsync();
            output.WriteLine($"Chromium started in {started.Elapsed.TotalSeconds:F1} s.");
            string Detail(string headline) =>
                $"[{variant.Scenario}] {headline}\nWhat the page did:\n{chromium.Log}\nWhat the provider did:\n{provider.Log}\nThe API's last output:\n{serverLog}";

            // Runs one of the page's functions; its JSON answer, or a failure that says which README function threw.
            async Task<JsonElement> Call(string function, params string[] arguments)
            {
                string answer;
                try
                {
                    answer = await chromium.Page.EvaluateAsync<string>($"(arguments) => {function}(...arguments)", arguments).WaitAsync(StepTimeout);
                }
                catch (Exception exception) when (exception is System.TimeoutException or PlaywrightException)
                {
                    throw new XunitException(Detail($"The page's {function} did not finish: {exception.Message}"));
                }

                // An element of its own (no document to dispose of), read after the page is gone.
                var result = JsonSerializer.Deserialize<JsonElement>(answer);
                if (result.TryGetProperty("error", out var error) && result.TryGetProperty("stack", out var stack))
                    Assert.Fail(Detail($"The README's external sign-in JavaScript failed at {result.GetProperty("step")}: {error}\n{stack}"));
                return result;
            }

            // Runs a README function that sends the browser away, then waits until the page it comes back to has loaded.
            async Task NavigateWith(string function, string landing, params string[] arguments)
            {
                var from = chromium.Page.Url;
                try
                {
                    await chromium.Page.EvaluateAsync($"(arguments) => {{ {function}(...arguments); }}", arguments);
                    await chromium.Page.WaitForURLAsync(url => url != from);
                }
                catch (PlaywrightException exception)
                {
                    throw new XunitException(Detail($"{function} did not take the browser anywhere: {exception.Message}"));
                }

                if (!chromium.Page.Url.StartsWith(landing, StringComparison.Ordinal))
                {
                    // The test page shows nothing; the API's or the provider's refusal shows why.
                    var shown = (await chromium.Page.InnerTextAsync("body")).Trim();
                    Assert.Fail(Detail($"{function} should end on {landing}...; the browser is on {chromium.Page.Url}{(shown.Length > 0 ? $", which shows: {shown}" : ".")}"));
                }
            }

            await chromium.Page.GotoAsync(page.Origin + "/");
            var listed = await Call("externalProviders", api);
            Assert.True(listed.GetProperty("providers").EnumerateArray().Any(item =>
                    item.GetProperty("name").GetString() == Provider && item.GetProperty("displayName").GetString() == ProviderDisplayName),
                Detail($"listProviders should list {{name: \"{Provider}\", displayName: \"{ProviderDisplayName}\"}}; it gave {listed.GetProperty("providers")}."));

            var identity = new TestIdentity(Guid.NewGuid().ToString("N"), $"sso-{Guid.NewGuid().ToString("N")[..8]}@provider.example");
            provider.Identity = identity;
            await NavigateWith("signInWith", $"{page.Origin}/signed-in#code=", api, Provider);
            var signedIn = await Call("externalFinishSignIn", api);
            Assert.True(signedIn.GetProperty("address").GetString() == $"{page.Origin}/signed-in",
                Detail($"finishSignIn should take the code out of the address bar; the page is at {signedIn.GetProperty("address")}."));
            var tokens = signedIn.GetProperty("tokens");
            var externalToken = tokens.GetProperty("accessToken").GetString()!;
            output.WriteLine($"The page signed in through the provider as {identity.Email} in {started.Elapsed.TotalSeconds:F1} s.");

            var methods = AuthenticationMethods(externalToken);
            Assert.True(methods is ["fed"], Detail($"An external sign-in's access token should say amr [\"fed\"]; it says [{string.Join(", ", methods)}]."));
            var (meStatus, meBody) = await GetAsync(http, "/api/v1/users/me", externalToken);
            Assert.True(meStatus == HttpStatusCode.OK, Detail($"GET /api/v1/users/me with the external sign-in's token answered {(int)meStatus}: {meBody}"));
            using (var me = JsonDocument.Parse(meBody))
            {
                Assert.True(me.RootElement.GetProperty("email").GetString() == identity.Email && me.RootElement.GetProperty("emailConfirmed").GetBoolean(),
                    Detail($"The external sign-in should make an account for the provider's verified address {identity.Email}, confirmed; GET /api/v1/users/me answered {meBody}"));
            }

            await AssertLinkedAsync(externalToken, "the account the sign-in made");

            // The walkthrough's user has a password and two-factor sign-in: linking asks for the password again.
            provider.Identity = new TestIdentity(Guid.NewGuid().ToString("N"), "alice@example.com");
            await chromium.Page.GotoAsync(page.Origin + "/account");
            await NavigateWith("externalLinkProvider", $"{page.Origin}/account#link_code=", api, accessToken, Provider, Password);
            var linked = await Call("externalFinishLink", api, accessToken);
            Assert.True(linked.GetProperty("link") is { ValueKind: JsonValueKind.Object } link && link.GetProperty("provider").GetString() == Provider,
                Detail($"finishLink should answer {{provider: \"{Provider}\", createdAt}}; it answered {linked}."));
            await AssertLinkedAsync(accessToken, "the walkthrough's user");
            output.WriteLine($"The page signed in through the provider, and linked it to the walkthrough's user, in {started.Elapsed.TotalSeconds:F1} s in all.");

            async Task AssertLinkedAsync(string token, string whose)
            {
                var (status, body) = await GetAsync(http, "/api/v1/users/me/logins", token);
                Assert.True(status == HttpStatusCode.OK, Detail($"GET /api/v1/users/me/logins for {whose} answered {(int)status}: {body}"));
                using var logins = JsonDocument.Parse(body);
                Assert.True(logins.RootElement.EnumerateArray().Any(login => login.GetProperty("provider").GetString() == Provider),
                    Detail($"GET /api/v1/users/me/logins for {whose} should list provider \"{Provider}\": {body}"));
            }
        }
        finally
        {
            TemplateRun.Current.RecordPhase($"{variant.Scenario}: external sign-in in Chromium", started.Elapsed);
        }
    }

    static async Task<(HttpStatusCode Status, string Body)> GetAsync(HttpClient http, string path, string accessToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        using var response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>
    /// The test page: the README's scripts as written, and the few lines that call it the way a front end would and
    /// hand the outcome, or the error and the step it stopped at, back as JSON.
    /// </summary>
    static string TestPage(string passkeyScript, string externalScript) => $$"""
        <!doctype html>
        <html>
        <head><meta charset="utf-8"><title>Walkthrough</title><link rel="icon" href="data:,"></head>
        <body>
        <script>
        {{passkeyScript}}
        </script>
        <script>
        {{externalScript}}
        </script>
        <script>
        async function passkeyRoundTrip(api, accessToken, password, name) {
          let step = "addPasskey";
          try {
            const passkey = await addPasskey(api, accessToken, password, name);
            step = "signInWithPasskey";
            const tokens = await signInWithPasskey(api);
            step = "GET /api/v1/users/me";
            const me = await fetch(`${api}/api/v1/users/me`, { headers: { Authorization: `Bearer ${tokens.accessToken}` } });
            return JSON.stringify({ passkey, tokens, me: { status: me.status, body: await me.text() } });
          } catch (error) {
            return JSON.stringify({ step, error: `${error.name}: ${error.message}`, stack: String(error.stack) });
          }
        }

        const failure = (step, error) => JSON.stringify({ step, error: `${error.name}: ${error.message}`, stack: String(error.stack) });

        async function externalProviders(api) {
          try {
            return JSON.stringify({ providers: await listProviders(api) });
          } catch (error) {
            return failure("listProviders", error);
          }
        }

        // On /signed-in. A new account has no second factor to ask for.
        async function externalFinishSignIn(api) {
          try {
            const tokens = await finishSignIn(api, () => Promise.reject(new Error("finishSignIn asked for a two-factor code")));
            return JSON.stringify({ tokens, address: location.href });
          } catch (error) {
            return failure("finishSignIn", error);
          }
        }

        // Leaves for the provider; when linkProvider fails, comes back to /account with the error instead.
        function externalLinkProvider(api, accessToken, name, password) {
          linkProvider(api, accessToken, name, password).catch(error =>
            location.assign(`${location.origin}/account#error=${encodeURIComponent(`linkProvider: ${error.message}`)}`));
        }

        // On /account.
        async function externalFinishLink(api, accessToken) {
          try {
            const link = await finishLink(api, accessToken);
            return JSON.stringify(link?.error ? { step: "finishLink", error: link.error, stack: "" } : { link });
          } catch (error) {
            return failure("finishLink", error);
          }
        }
        </script>
        </body>
        </html>
        """;

    /// <summary>The <c>amr</c> claim of a JWT, read from its payload (one method may be a plain string).</summary>
    static IReadOnlyList<string> AuthenticationMethods(string jwt)
    {
        var payload = jwt.Split('.')[1].Replace('-', '+').Replace('_', '/');
        payload = payload.PadRight(payload.Length + (4 - payload.Length % 4) % 4, '=');
        using var claims = JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(payload)));
        return !claims.RootElement.TryGetProperty("amr", out var amr) ? []
            : amr.ValueKind == JsonValueKind.Array ? amr.EnumerateArray().Select(method => method.GetString() ?? "").ToList()
            : [amr.GetString() ?? ""];
    }

    static Process StartServer(string command, string directory, IReadOnlyDictionary<string, string?> environment, OutputTail log)
    {
        var startInfo = new ProcessStartInfo("bash", ["--noprofile", "--norc", "-c", "exec " + command])
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var name in startInfo.Environment.Keys.Where(name => name.StartsWith("MSBUILD", StringComparison.Ordinal) || name.StartsWith("VSTEST", StringComparison.Ordinal)).ToList())
            startInfo.Environment.Remove(name);
        foreach (var (key, value) in environment)
        {
            if (value is null)
                startInfo.Environment.Remove(key);
            else
                startInfo.Environment[key] = value;
        }

        var process = Process.Start(startInfo)!;
        process.OutputDataReceived += (_, line) => log.Add(line.Data);
        process.ErrorDataReceived += (_, line) => log.Add(line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    static async Task WaitUntilReadyAsync(HttpClient http, Process server, Variant variant)
    {
        var deadline = DateTime.UtcNow + StepTimeout;
        while (true)
        {
            Assert.False(server.HasExited, $"[{variant.Scenario}] The README's run command exited with code {(server.HasExited ? server.ExitCode : 0)} before serving.");
            try
            {
                if ((await http.GetAsync("/health/ready")).IsSuccessStatusCode)
                    return;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            Assert.True(DateTime.UtcNow < deadline, $"[{variant.Scenario}] The API the README runs was not ready within {StepTimeout.TotalMinutes} minutes.");
            await Task.Delay(500);
        }
    }

    /// <summary>The text of one <c>## </c> section, up to the next one.</summary>
    static string SectionText(string markdown, string heading)
    {
        var start = markdown.IndexOf(heading + "\n", StringComparison.Ordinal);
        Assert.True(start >= 0, $"README.md has no section \"{heading}\".");
        var end = markdown.IndexOf("\n## ", start + heading.Length, StringComparison.Ordinal);
        return end < 0 ? markdown[start..] : markdown[start..end];
    }

    /// <summary>The bash code blocks, with the indentation of a list item taken off.</summary>
    static List<string> BashBlocks(string markdown) => CodeBlocks(markdown, "bash");

    /// <summary>The code blocks of one language, with the indentation of a list item taken off.</summary>
    static List<string> CodeBlocks(string markdown, string language) =>
        CodeBlock().Matches(markdown)
            .Where(match => match.Groups["language"].Value == language)
            .Select(match => string.Join('\n', match.Groups["body"].Value.Split('\n')
                .Select(line => line.StartsWith(match.Groups["indent"].Value, StringComparison.Ordinal) ? line[match.Groups["indent"].Value.Length..] : line)))
            .ToList();

    [GeneratedRegex(@"^(?<indent>[ ]*)```(?<language>[a-z]+)\n(?<body>.*?)\n\k<indent>```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex CodeBlock();

    [GeneratedRegex("\"accessToken\":\"(?<token>[^\"]+)\"")]
    private static partial Regex AccessToken();

    /// <summary>The last lines a process wrote, for a failure message.</summary>
    sealed class OutputTail(int lines)
    {
        readonly ConcurrentQueue<string> tail = new();

        public void Add(string? line)
        {
            if (line is null)
                return;
            tail.Enqueue(line);
            while (tail.Count > lines)
                tail.TryDequeue(out _);
        }

        public override string ToString() => tail.IsEmpty ? "  (nothing)" : string.Join('\n', tail.Select(line => "  " + line));
    }

    [GeneratedRegex(@"curl -s (?<host>localhost:[0-9]+)/")]
    private static partial Regex BaseUrl();
}
