using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Contoso.Orders.Api.Tests.Infrastructure;
using Contoso.Orders.Api.Tests.TwoFactor;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.WebUtilities;

namespace Contoso.Orders.Api.Tests.ExternalLogins;

/// <summary>The external sign-in requests, written once.</summary>
public static class ExternalLoginAccount
{
    public const string ProvidersPath = "/api/v1/auth/external";
    public const string ExchangePath = "/api/v1/auth/external/exchange";
    public const string LoginsPath = "/api/v1/users/me/logins";

    /// <summary>The front-end page the tests' flows return to: the one entry of <c>ExternalLogin:AllowedReturnUrls</c>.</summary>
    public const string ReturnUrl = "https://app.example.com/signed-in";

    public static string StartPath(string provider) => $"{ProvidersPath}/{provider}/start";

    public static string CallbackPath(string provider) => $"{ProvidersPath}/{provider}/callback";

    public static string LinkStartPath(string provider) => $"{LoginsPath}/{provider}/start";

    public static string StartUrl(string provider, string returnUrl = ReturnUrl) =>
        QueryHelpers.AddQueryString(StartPath(provider), "returnUrl", returnUrl);

    public static Task<HttpResponseMessage> ExchangeAsync(this HttpClient client, string code) =>
        client.PostJsonAsync(ExchangePath, new { code });

    public static Task<HttpResponseMessage> StartLinkAsync(this HttpClient client, string token, string provider, string? password = ApiClient.Password, string returnUrl = ReturnUrl) =>
        client.PostJsonAsync(LinkStartPath(provider), new { password, returnUrl }, token);

    /// <summary>Finishes a link with the <c>link_code</c> its callback handed the front end.</summary>
    public static Task<HttpResponseMessage> ConfirmLinkAsync(this HttpClient client, string token, string code) =>
        client.PostJsonAsync(LoginsPath, new { code }, token);

    public static Task<HttpResponseMessage> UnlinkAsync(this HttpClient client, string token, string provider, string? password = ApiClient.Password) =>
        client.SendAsync(new HttpRequestMessage(HttpMethod.Delete, $"{LoginsPath}/{provider}") { Content = JsonContent.Create(new { password }) }.WithBearer(token));

    /// <summary>The providers the token's user is linked to, as the list endpoint names them.</summary>
    public static async Task<IReadOnlyList<string>> LinkedProvidersAsync(this HttpClient client, string token)
    {
        var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, LoginsPath).WithBearer(token));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray().Select(login => login.GetProperty("provider").GetString()!).Order().ToList();
    }

    /// <summary>An exchange that must succeed: the tokens' JSON.</summary>
    public static async Task<JsonElement> ExchangeForTokensAsync(this HttpClient client, string code)
    {
        var response = await client.ExchangeAsync(code);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"The exchange answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }
}

/// <summary>
/// What a browser does in an external sign-in, step by step, with clients that follow no redirect: the API's start
/// answer sends it to the provider, the provider's answer back to the API's callback (on the API's public address,
/// <see cref="ApiFactory.Issuer"/>, which the test sends to the test app by path and query), and the callback's answer
/// to the front end, whose fragment carries the outcome. Its cookies go with it (the start binds a sign-in to the browser
/// that began it with one).
/// </summary>
public sealed class ExternalLoginBrowser(HttpClient api, TestOpenIdProvider provider) : IDisposable
{
    private readonly HttpClient _provider = new(new SocketsHttpHandler { AllowAutoRedirect = false });

    /// <summary>The API's client: it follows no redirect.</summary>
    public HttpClient Api { get; } = api;

    public TestOpenIdProvider Provider { get; } = provider;

    /// <summary>A browser on a test app, signing in at <paramref name="provider"/> (the run's shared one unless given).</summary>
    public static ExternalLoginBrowser For(WebApplicationFactory<Program> app, TestOpenIdProvider? provider = null) =>
        new(app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false }), provider ?? TestOpenIdProvider.Shared);

    /// <summary>
    /// A browser on a running API process on <paramref name="database"/>; browsers given the same cookies are one
    /// browser on several replicas behind one address.
    /// </summary>
    public static ExternalLoginBrowser For(Uri address, TestDatabase database, CookieContainer cookies)
    {
        var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, CookieContainer = cookies }) { BaseAddress = address };
        ApiClient.Remember(client, database);
        return new(client, TestOpenIdProvider.Shared);
    }

    public Task<HttpResponseMessage> StartAsync(string providerName, string returnUrl = ExternalLoginAccount.ReturnUrl) =>
        Api.GetAsync(ExternalLoginAccount.StartUrl(providerName, returnUrl));

    /// <summary>A start that must succeed: the provider's authorization URL it redirects to.</summary>
    public async Task<Uri> BeginAsync(string providerName, string returnUrl = ExternalLoginAccount.ReturnUrl)
    {
        var response = await StartAsync(providerName, returnUrl);
        Assert.True(response.StatusCode == HttpStatusCode.Found, $"The start answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        var location = response.Headers.Location!;
        Assert.StartsWith($"{Provider.Issuer}/authorize?", location.ToString(), StringComparison.Ordinal);
        return location;
    }

    /// <summary>
    /// Follows an authorization URL to the provider as <paramref name="identity"/> (named in <c>login_hint</c>, as a
    /// login page would have it chosen); the callback URL the provider redirects to.
    /// </summary>
    public async Task<Uri> AuthorizeAsync(Uri authorizationUrl, ProviderIdentity identity)
    {
        var url = QueryHelpers.AddQueryString(authorizationUrl.ToString(), "login_hint", Provider.Hint(identity));
        var response = await _provider.GetAsync(url);
        Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"The provider answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        var callback = response.Headers.Location!;
        Assert.StartsWith(ApiFactory.Issuer + "/", callback.ToString(), StringComparison.Ordinal);
        return callback;
    }

    /// <summary>Follows the provider's redirect back to the API.</summary>
    public Task<HttpResponseMessage> CallbackAsync(Uri callback) => Api.GetAsync(callback.PathAndQuery);

    /// <summary>Start, provider and callback: the fragment the browser lands on at <paramref name="returnUrl"/>.</summary>
    public async Task<IReadOnlyDictionary<string, string>> SignInAsync(string providerName, ProviderIdentity identity, string returnUrl = ExternalLoginAccount.ReturnUrl) =>
        Fragment(await CallbackAsync(await AuthorizeAsync(await BeginAsync(providerName, returnUrl), identity)), returnUrl);

    /// <summary>A sign-in that must end with a one-time code: the code.</summary>
    public async Task<string> SignInForCodeAsync(string providerName, ProviderIdentity identity)
    {
        var fragment = await SignInAsync(providerName, identity);
        Assert.True(fragment.ContainsKey("code"), $"The sign-in ended with #{string.Join('&', fragment.Select(pair => $"{pair.Key}={pair.Value}"))}");
        return fragment["code"];
    }

    /// <summary>A sign-in and its exchange that must succeed: the tokens' JSON.</summary>
    public async Task<JsonElement> SignInForTokensAsync(string providerName, ProviderIdentity identity) =>
        await Api.ExchangeForTokensAsync(await SignInForCodeAsync(providerName, identity));

    /// <summary>A link from the account that must be offered: the provider's authorization URL the front end navigates to.</summary>
    public async Task<Uri> BeginLinkAsync(string token, string providerName, string? password = ApiClient.Password)
    {
        var response = await Api.StartLinkAsync(token, providerName, password);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"The link start answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        var url = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("authorizationUrl").GetString()!;
        Assert.StartsWith($"{Provider.Issuer}/authorize?", url, StringComparison.Ordinal);
        return new Uri(url);
    }

    /// <summary>Link start, provider and callback: the fragment the browser lands on (a <c>link_code</c>, or an error).</summary>
    public async Task<IReadOnlyDictionary<string, string>> LinkAsync(string token, string providerName, ProviderIdentity identity, string? password = ApiClient.Password) =>
        Fragment(await CallbackAsync(await AuthorizeAsync(await BeginLinkAsync(token, providerName, password), identity)));

    /// <summary>A whole link that must succeed: the flow, then the link's code confirmed with the user's token.</summary>
    public async Task LinkProviderAsync(string token, string providerName, ProviderIdentity identity, string? password = ApiClient.Password)
    {
        var fragment = await LinkAsync(token, providerName, identity, password);
        Assert.True(fragment.ContainsKey("link_code"), $"The link ended with #{string.Join('&', fragment.Select(pair => $"{pair.Key}={pair.Value}"))}");
        var confirmed = await Api.ConfirmLinkAsync(token, fragment["link_code"]);
        Assert.True(confirmed.StatusCode == HttpStatusCode.Created, $"The link's confirmation answered {(int)confirmed.StatusCode}: {await confirmed.Content.ReadAsStringAsync()}");
        Assert.Equal(providerName, (await confirmed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("provider").GetString());
    }

    /// <summary>
    /// The outcome of a callback: it redirects to <paramref name="returnUrl"/> with a fragment, read here as its
    /// name=value pairs. A one-time code in it is remembered as a secret for the log scan.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Fragment(HttpResponseMessage callback, string returnUrl = ExternalLoginAccount.ReturnUrl)
    {
        Assert.True(callback.StatusCode == HttpStatusCode.Found, $"The callback answered {(int)callback.StatusCode}.");
        var location = callback.Headers.Location!.ToString();
        Assert.StartsWith(returnUrl + "#", location, StringComparison.Ordinal);
        var fragment = QueryHelpers.ParseQuery(location[(location.IndexOf('#', StringComparison.Ordinal) + 1)..])
            .ToDictionary(pair => pair.Key, pair => pair.Value.ToString());
        foreach (var name in new[] { "code", "link_code" })
        {
            TestRun.RememberSecret(fragment.GetValueOrDefault(name));
        }

        return fragment;
    }

    /// <summary>A query parameter of a URL the flow went through (the provider's code, the state).</summary>
    public static string QueryValue(Uri url, string name) => QueryHelpers.ParseQuery(url.Query)[name].ToString();

    public void Dispose()
    {
        Api.Dispose();
        _provider.Dispose();
    }
}
