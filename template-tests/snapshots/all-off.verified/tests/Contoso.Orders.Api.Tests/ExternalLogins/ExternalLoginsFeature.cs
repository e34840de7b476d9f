using System.Net;
using System.Text.Json.Nodes;
using Contoso.Orders.Api.Tests.Infrastructure;
using static Contoso.Orders.Api.Tests.ExternalLogins.ExternalLoginAccount;

namespace Contoso.Orders.Api.Tests.ExternalLogins;

/// <summary>
/// The external sign-in endpoints, for the tests that cover every endpoint, and the providers of every test app: three
/// clients of the run's <see cref="TestOpenIdProvider"/>, one trusted with nothing, one trusted with emails, one whose
/// sign-in counts as two factors.
/// </summary>
public sealed class ExternalLoginsFeature : IApiFeature
{
    /// <summary>Emails from it link to nothing by themselves; its sign-in is one factor.</summary>
    public const string Untrusted = "idp";

    /// <summary><c>TrustEmail</c>: its verified email links to the account that has it.</summary>
    public const string TrustedWithEmail = "trusted-idp";

    /// <summary><c>SatisfiesTwoFactor</c>: its sign-in is enough for an account with two-factor sign-in on.</summary>
    public const string SatisfiesTwoFactor = "mfa-idp";

    /// <summary>Shaped like a one-time code, and no code's.</summary>
    private const string UnknownCode = "bm8tc3VjaC1jb2RlLWF0LWFsbC1qdXN0LXNoYXBlZA";

    public static string ClientId(string provider) => $"contoso_orders-{provider}";

    public IEnumerable<ApiEndpoint> Endpoints =>
    [
        new("GET", ProvidersPath, Anonymous: true),
        new("GET", $"{ProvidersPath}/{{provider}}/start", Anonymous: true),
        new("GET", $"{ProvidersPath}/{{provider}}/callback", Anonymous: true),
        new("POST", ExchangePath, Anonymous: true, new RequestBody(
            [BodyField.LookedUp("code", UnknownCode)],
            async (factory, _) =>
            {
                using var browser = ExternalLoginBrowser.For(factory);
                var code = await browser.SignInForCodeAsync(Untrusted, ProviderIdentity.New());
                return new GoodRequest(ExchangePath, null, new JsonObject { ["code"] = code }, HttpStatusCode.OK);
            })),
        new("GET", LoginsPath, Anonymous: false),
        new("POST", $"{LoginsPath}/{{provider}}/start", Anonymous: false, new RequestBody(
            [BodyField.LookedUp("password", "not the password"), BodyField.Checked("returnUrl")],
            async (_, client) => new GoodRequest(LinkStartPath(Untrusted), await client.AccessTokenForNewUserAsync(),
                new JsonObject { ["password"] = ApiClient.Password, ["returnUrl"] = ReturnUrl }, HttpStatusCode.OK))),
        new("POST", LoginsPath, Anonymous: false, new RequestBody(
            [BodyField.LookedUp("code", UnknownCode)],
            async (factory, client) =>
            {
                var token = await client.AccessTokenForNewUserAsync();
                using var browser = ExternalLoginBrowser.For(factory);
                var fragment = await browser.LinkAsync(token, Untrusted, ProviderIdentity.New());
                return new GoodRequest(LoginsPath, token, new JsonObject { ["code"] = fragment["link_code"] }, HttpStatusCode.Created);
            })),
        new("DELETE", $"{LoginsPath}/{{provider}}", Anonymous: false, new RequestBody(
            [BodyField.LookedUp("password", "not the password")],
            async (factory, client) =>
            {
                var token = await client.AccessTokenForNewUserAsync();
                using var browser = ExternalLoginBrowser.For(factory);
                await browser.LinkProviderAsync(token, Untrusted, ProviderIdentity.New());
                return new GoodRequest($"{LoginsPath}/{Untrusted}", token, new JsonObject { ["password"] = ApiClient.Password }, HttpStatusCode.NoContent);
            })),
    ];

    /// <summary>
    /// Every app, Development ones included (appsettings.Development.json names no provider), signs in with the run's
    /// provider; each client's secret goes through <see cref="ApiFactory.Secret"/> so that the log scan looks for it.
    /// </summary>
    public IEnumerable<KeyValuePair<string, string?>> SettingsFor(ApiFactory factory) =>
        [new("ExternalLogin:AllowedReturnUrls:0", ReturnUrl), .. Settings(name => factory.Secret($"ExternalLogin:{name}", () => TestOpenIdProvider.Shared.ClientSecret(ClientId(name))))];

    /// <summary>The providers' settings, each client's secret as <paramref name="secret"/> gives it.</summary>
    public static IEnumerable<KeyValuePair<string, string?>> Settings(Func<string, string> secret)
    {
        var provider = TestOpenIdProvider.Shared;
        foreach (var name in new[] { Untrusted, TrustedWithEmail, SatisfiesTwoFactor })
        {
            var prefix = $"ExternalLogin:Providers:{name}";
            yield return new($"{prefix}:Authority", provider.Issuer);
            yield return new($"{prefix}:ClientId", ClientId(name));
            yield return new($"{prefix}:ClientSecret", secret(name));
            yield return new($"{prefix}:TrustEmail", (name == TrustedWithEmail).ToString());
            yield return new($"{prefix}:SatisfiesTwoFactor", (name == SatisfiesTwoFactor).ToString());
        }

        yield return new($"ExternalLogin:Providers:{TrustedWithEmail}:DisplayName", "Trusted IdP");
    }
}
