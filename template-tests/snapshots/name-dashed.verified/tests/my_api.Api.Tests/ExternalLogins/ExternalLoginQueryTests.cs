using System.Net;
using my_api.Api.Tests.Infrastructure;
using static my_api.Api.Tests.ExternalLogins.ExternalLoginAccount;
using static my_api.Api.Tests.ExternalLogins.ExternalLoginsFeature;

namespace my_api.Api.Tests.ExternalLogins;

/// <summary>
/// Security checklist point 20 for the query strings of the start and the callback, which the bad-body tables do not
/// reach: each bad value is sent in a request good in every other way (a known provider, a good return URL, a live
/// flow's state), so that it is this value that is refused; none answers 5xx, and no value sent comes back in an answer.
/// </summary>
[Collection(ExternalLoginCollection.Name)]
public sealed class ExternalLoginQueryTests(ApiFactory api) : IDisposable
{
    private static readonly string Huge = new('a', 100_000);

    private readonly ExternalLoginBrowser _browser = ExternalLoginBrowser.For(api);

    public void Dispose() => _browser.Dispose();

    public static TheoryData<string, string> BadReturnUrls() => new()
    {
        { "missing", "" },
        { "empty", "returnUrl=" },
        { "NUL alone", "returnUrl=%00" },
        { "NUL inside the host", "returnUrl=https%3A%2F%2Fapp.exam%00ple.com%2Fsigned-in" },
        { "NUL after the path", "returnUrl=https%3A%2F%2Fapp.example.com%2Fsigned-in%00" },
        { "control characters", "returnUrl=https%3A%2F%2Fapp.example.com%2Fsigned%01%1b-in" },
        { "a CR LF after the path", "returnUrl=https%3A%2F%2Fapp.example.com%2Fsigned-in%0d%0aSet-Cookie%3A%20a%3Db" },
        { "a huge host", $"returnUrl=https%3A%2F%2F{Huge}.example.com%2Fsigned-in" },
        { "a huge value", $"returnUrl={Huge}" },
        { "a broken IPv6 host", "returnUrl=https%3A%2F%2F%5B%3A%3A1%2Fsigned-in" },
        { "a bad scheme", "returnUrl=ht%21tp%3A%2F%2Fapp.example.com%2Fsigned-in" },
        { "no host", "returnUrl=https%3A%2F%2F%2Fsigned-in" },
        { "a lone surrogate", "returnUrl=https%3A%2F%2Fapp.example.com%2Fsigned%ED%A0%80-in" },
        { "invalid UTF-8", "returnUrl=https%3A%2F%2Fapp.example.com%2Fsigned%C3%28-in" },
    };

    [Theory]
    [MemberData(nameof(BadReturnUrls))]
    public async Task A_bad_return_url_is_a_400_naming_it_without_a_redirect_or_internal_detail(string name, string query)
    {
        var response = await _browser.Api.GetAsync($"{StartPath(Untrusted)}?{query}");

        var text = await AssertNoInternalDetailAsync(response);
        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.TryGetProperty("errors", out var errors) && errors.TryGetProperty("returnUrl", out _), $"{name}: {text}");
        Assert.Null(response.Headers.Location);
    }

    /// <summary>Below the allowed path, odd but harmless: taken or refused, never a 5xx, and never a header broken by it.</summary>
    [Theory]
    [InlineData("a huge path below", "returnUrl=https%3A%2F%2Fapp.example.com%2Fsigned-in%2F{0}")]
    [InlineData("a CR LF in a path below", "returnUrl=https%3A%2F%2Fapp.example.com%2Fsigned-in%2F%0d%0aSet-Cookie%3A%20a%3Db")]
    [InlineData("NUL in a path below", "returnUrl=https%3A%2F%2Fapp.example.com%2Fsigned-in%2F%00")]
    [InlineData("non-ASCII in a path below", "returnUrl=https%3A%2F%2Fapp.example.com%2Fsigned-in%2F%C3%A9t%C3%A9")]
    [InlineData("blank space around", "returnUrl=%20https%3A%2F%2Fapp.example.com%2Fsigned-in%09")]
    [InlineData("twice, the allowed one first", "returnUrl=https%3A%2F%2Fapp.example.com%2Fsigned-in&returnUrl=https%3A%2F%2Fevil.test%2F")]
    [InlineData("twice, the foreign one first", "returnUrl=https%3A%2F%2Fevil.test%2F&returnUrl=https%3A%2F%2Fapp.example.com%2Fsigned-in")]
    public async Task An_odd_return_url_is_refused_or_carried_through_the_flow_intact(string name, string query)
    {
        var start = await _browser.Api.GetAsync($"{StartPath(Untrusted)}?{string.Format(System.Globalization.CultureInfo.InvariantCulture, query, Huge)}");

        await AssertNoInternalDetailAsync(start);
        if (start.StatusCode != HttpStatusCode.Found)
        {
            var problem = await start.AssertProblemAsync(HttpStatusCode.BadRequest);
            Assert.True(problem.TryGetProperty("errors", out var errors) && errors.TryGetProperty("returnUrl", out _), $"{name}: {problem}");
            return;
        }

        var callback = await _browser.CallbackAsync(await _browser.AuthorizeAsync(start.Headers.Location!, ProviderIdentity.New()));

        await AssertNoInternalDetailAsync(callback);
        Assert.Equal(HttpStatusCode.Found, callback.StatusCode);
        var location = callback.Headers.Location!.OriginalString;
        Assert.StartsWith(ReturnUrl, location, StringComparison.Ordinal);
        Assert.DoesNotContain('\r', location);
        Assert.DoesNotContain('\n', location);
        Assert.DoesNotContain('\0', location);
    }

    public static TheoryData<string, string> BadStates() => new()
    {
        { "missing", "code=abc" },
        { "empty", "code=abc&state=" },
        { "unknown", "code=abc&state=bm8tc3VjaC1zdGF0ZS1hdC1hbGwtanVzdC1zaGFwZWQ" },
        { "NUL", "code=abc&state=%00" },
        { "NUL inside", "code=abc&state=bm8tc3VjaC1zdGF0ZS1%00hdC1hbGwtanVzdC1zaGFwZWQ" },
        { "huge", $"code=abc&state={Huge}" },
        { "invalid UTF-8", "code=abc&state=%C3%28" },
        { "twice", "code=abc&state=a&state=b" },
        { "an error without a state", "error=access_denied" },
    };

    [Theory]
    [MemberData(nameof(BadStates))]
    public async Task A_callback_without_a_live_flows_state_is_a_400_without_a_redirect(string name, string query)
    {
        var response = await _browser.Api.GetAsync($"{CallbackPath(Untrusted)}?{query}");

        await AssertNoInternalDetailAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{name}: answered {(int)response.StatusCode}, to {response.Headers.Location}");
        await response.AssertProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_callback_to_an_unknown_provider_is_a_400_and_spends_no_flow()
    {
        var authorization = await _browser.BeginAsync(Untrusted);
        var state = ExternalLoginBrowser.QueryValue(authorization, "state");

        // (A NUL cannot be sent in a path: the test client refuses it before the app sees it.)
        foreach (var provider in new[] { "no-such-provider", "%01", "idp%0a", Huge[..300] })
        {
            var response = await _browser.Api.GetAsync($"{ProvidersPath}/{provider}/callback?code=abc&state={Uri.EscapeDataString(state)}");
            await AssertNoInternalDetailAsync(response);
            Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotFound, $"Answered {(int)response.StatusCode}.");
        }

        Assert.True(ExternalLoginBrowser.Fragment(await _browser.CallbackAsync(await _browser.AuthorizeAsync(authorization, ProviderIdentity.New()))).ContainsKey("code"));
    }

    [Theory]
    [InlineData("no-such-provider")]
    [InlineData("%01")]
    [InlineData("idp%0a")]
    [InlineData("idp%20")]
    [InlineData("..%2Fidp")]
    [InlineData("{0}")]
    public async Task A_start_at_an_unknown_provider_is_a_400_naming_it(string provider)
    {
        var response = await _browser.Api.GetAsync(StartUrl(string.Format(System.Globalization.CultureInfo.InvariantCulture, provider, Huge[..1_000])));

        await AssertNoInternalDetailAsync(response);
        Assert.Null(response.Headers.Location);
        Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotFound, $"Answered {(int)response.StatusCode}.");
        if (response.StatusCode == HttpStatusCode.BadRequest)
        {
            var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
            Assert.True(problem.TryGetProperty("errors", out var errors) && errors.TryGetProperty("provider", out _), problem.ToString());
        }
    }

    public static TheoryData<string, string> BadCodes() => new()
    {
        { "missing", "" },
        { "empty", "code=" },
        { "NUL", "code=%00" },
        { "NUL inside", "code=abc%00def" },
        { "control characters", "code=abc%01%1bdef" },
        { "huge", $"code={Huge}" },
        { "invalid UTF-8", "code=%C3%28" },
        { "unknown to the provider", "code=bm8tc3VjaC1jb2RlLWF0LWFsbC1qdXN0LXNoYXBlZA" },
    };

    /// <summary>The flow's own state, so that it is the code that the callback deals with; the flow is spent all the same.</summary>
    [Theory]
    [MemberData(nameof(BadCodes))]
    public async Task A_bad_code_with_a_live_flows_state_ends_the_flow_with_an_error_for_the_front_end(string name, string query)
    {
        var state = ExternalLoginBrowser.QueryValue(await _browser.BeginAsync(Untrusted), "state");
        var path = $"{CallbackPath(Untrusted)}?state={Uri.EscapeDataString(state)}{(query.Length > 0 ? "&" + query : "")}";

        var response = await _browser.Api.GetAsync(path);

        await AssertNoInternalDetailAsync(response);
        var fragment = ExternalLoginBrowser.Fragment(response);
        Assert.True(fragment.Count == 1 && fragment.GetValueOrDefault("error") == "invalid_response", $"{name}: #{string.Join('&', fragment)}");
        await (await _browser.Api.GetAsync(path)).AssertProblemAsync(HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("access_denied", "access_denied")]
    [InlineData("access_denied&error_description=%3Cscript%3Ealert(1)%3C%2Fscript%3E", "access_denied")]
    [InlineData("server_error", "provider_error")]
    [InlineData("temporarily_unavailable", "provider_error")]
    [InlineData("login_required", "provider_error")]
    [InlineData("%00", "provider_error")]
    [InlineData("access_denied%0d%0aSet-Cookie:%20a=b", "provider_error")]
    [InlineData("{0}", "provider_error")]
    [InlineData("access_denied&code=abc", "access_denied")]
    public async Task A_providers_error_reaches_the_front_end_as_one_of_the_apis_own_words(string error, string expected)
    {
        var state = ExternalLoginBrowser.QueryValue(await _browser.BeginAsync(Untrusted), "state");
        var path = $"{CallbackPath(Untrusted)}?state={Uri.EscapeDataString(state)}&error={string.Format(System.Globalization.CultureInfo.InvariantCulture, error, Huge)}";

        var response = await _browser.Api.GetAsync(path);

        await AssertNoInternalDetailAsync(response);
        Assert.Equal(new Dictionary<string, string> { ["error"] = expected }, ExternalLoginBrowser.Fragment(response));
        await (await _browser.Api.GetAsync(path)).AssertProblemAsync(HttpStatusCode.BadRequest);
    }

    /// <summary>Whatever the answer, no 5xx, and nothing of the server's insides or of a long value sent back.</summary>
    private static async Task<string> AssertNoInternalDetailAsync(HttpResponseMessage response)
    {
        Assert.True((int)response.StatusCode < 500, $"Answered {(int)response.StatusCode}.");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(text.Length < 2_000, $"The answer is {text.Length} characters long.");
        foreach (var internalDetail in new[] { "Exception", "   at ", "Npgsql", "System.", "my_api.", "SELECT ", "\\u0000", "<script>" })
        {
            Assert.DoesNotContain(internalDetail, text, StringComparison.Ordinal);
        }

        return text;
    }
}
