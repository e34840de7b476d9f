using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Contoso.Orders.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Contoso.Orders.Api.Tests.ExternalLogins;

/// <summary>
/// The test provider itself, talked to as a standard OpenID client talks to it: the external sign-in tests trust it to
/// check what a real provider checks and to sign what a real one signs, flawed only where a test asks.
/// </summary>
public sealed class TestOpenIdProviderTests : IDisposable
{
    private const string Client = "provider-self-test";
    private const string RedirectUri = ApiFactory.Issuer + "/api/v1/auth/external/self-test/callback";

    private readonly TestOpenIdProvider _provider = TestOpenIdProvider.Shared;
    private readonly HttpClient _http = new(new SocketsHttpHandler { AllowAutoRedirect = false });

    public TestOpenIdProviderTests() => TestRun.RememberSecret(_provider.ClientSecret(Client));

    public void Dispose() => _http.Dispose();

    [Fact]
    public async Task Discovery_names_its_endpoints_and_the_keys_verify_its_id_tokens()
    {
        var discovery = await _http.GetFromJsonAsync<JsonElement>($"{_provider.Issuer}/.well-known/openid-configuration");
        Assert.Equal(_provider.Issuer, discovery.GetProperty("issuer").GetString());
        Assert.StartsWith("http://127.0.0.1:", _provider.Issuer, StringComparison.Ordinal);

        var (code, verifier, nonce) = await AuthorizeAsync(ProviderIdentity.New());
        var response = await RedeemAsync(code, verifier, basic: true);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var keys = new JsonWebKeySet(await _http.GetStringAsync(discovery.GetProperty("jwks_uri").GetString()));
        var result = await ValidateAsync(body.GetProperty("id_token").GetString()!, keys);
        Assert.True(result.IsValid, result.Exception?.Message);
        Assert.Equal(nonce, ((JsonWebToken)result.SecurityToken).GetPayloadValue<string>("nonce"));
        Assert.Equal("Bearer", body.GetProperty("token_type").GetString());
    }

    [Fact]
    public async Task The_token_endpoint_takes_a_code_once_with_its_verifier_redirect_uri_and_client_secret()
    {
        var (code, verifier, _) = await AuthorizeAsync(ProviderIdentity.New());
        Assert.Equal(HttpStatusCode.BadRequest, (await RedeemAsync(code, verifier + "x", basic: true)).StatusCode);
        Assert.Equal("code_verifier does not match code_challenge", _provider.TokenOutcome(code));
        Assert.Equal(HttpStatusCode.BadRequest, (await RedeemAsync(code, verifier, basic: true)).StatusCode);

        (code, verifier, _) = await AuthorizeAsync(ProviderIdentity.New());
        Assert.Equal(HttpStatusCode.Unauthorized, (await RedeemAsync(code, verifier, basic: true, secret: "wrong")).StatusCode);

        (code, verifier, _) = await AuthorizeAsync(ProviderIdentity.New());
        Assert.Equal(HttpStatusCode.BadRequest, (await RedeemAsync(code, verifier, basic: false, redirectUri: RedirectUri + "x")).StatusCode);

        (code, verifier, _) = await AuthorizeAsync(ProviderIdentity.New());
        Assert.Equal(HttpStatusCode.OK, (await RedeemAsync(code, verifier, basic: false)).StatusCode);
        Assert.Equal("issued", _provider.TokenOutcome(code));
    }

    [Theory]
    [InlineData(IdTokenFlaw.WrongIssuer)]
    [InlineData(IdTokenFlaw.WrongAudience)]
    [InlineData(IdTokenFlaw.Expired)]
    [InlineData(IdTokenFlaw.ForeignKey)]
    [InlineData(IdTokenFlaw.TamperedPayload)]
    [InlineData(IdTokenFlaw.Unsigned)]
    public async Task Each_flawed_id_token_fails_a_standard_validation(IdTokenFlaw flaw)
    {
        var (code, verifier, _) = await AuthorizeAsync(ProviderIdentity.New() with { Flaw = flaw });
        var body = await (await RedeemAsync(code, verifier, basic: true)).Content.ReadFromJsonAsync<JsonElement>();
        var keys = new JsonWebKeySet(await _http.GetStringAsync($"{_provider.Issuer}/jwks"));

        Assert.False((await ValidateAsync(body.GetProperty("id_token").GetString()!, keys)).IsValid);
    }

    [Theory]
    [InlineData(IdTokenFlaw.MissingNonce)]
    [InlineData(IdTokenFlaw.WrongNonce)]
    public async Task A_nonce_flaw_leaves_the_token_valid_but_for_its_nonce(IdTokenFlaw flaw)
    {
        var (code, verifier, nonce) = await AuthorizeAsync(ProviderIdentity.New() with { Flaw = flaw });
        var body = await (await RedeemAsync(code, verifier, basic: true)).Content.ReadFromJsonAsync<JsonElement>();
        var keys = new JsonWebKeySet(await _http.GetStringAsync($"{_provider.Issuer}/jwks"));

        var result = await ValidateAsync(body.GetProperty("id_token").GetString()!, keys);
        Assert.True(result.IsValid);
        var token = (JsonWebToken)result.SecurityToken;
        Assert.NotEqual(nonce, token.TryGetPayloadValue<string>("nonce", out var value) ? value : null);
    }

    [Fact]
    public async Task A_declining_user_and_an_unknown_hint_never_get_a_code()
    {
        var declined = await _http.GetAsync(AuthorizationUrl(_provider.Hint(ProviderIdentity.New() with { Declines = true }), "c", "n"));
        Assert.Equal(HttpStatusCode.Redirect, declined.StatusCode);
        Assert.Equal("access_denied", QueryHelpers.ParseQuery(declined.Headers.Location!.Query)["error"].ToString());
        Assert.Equal(HttpStatusCode.BadRequest, (await _http.GetAsync(AuthorizationUrl("unknown", "c", "n"))).StatusCode);
    }

    private async Task<(string Code, string Verifier, string Nonce)> AuthorizeAsync(ProviderIdentity identity)
    {
        var verifier = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        var nonce = Guid.NewGuid().ToString("N");
        var challenge = Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
        var response = await _http.GetAsync(AuthorizationUrl(_provider.Hint(identity), challenge, nonce));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = response.Headers.Location!;
        Assert.StartsWith(RedirectUri + "?", location.ToString(), StringComparison.Ordinal);
        Assert.Equal("xyz", ExternalLoginBrowser.QueryValue(location, "state"));
        return (ExternalLoginBrowser.QueryValue(location, "code"), verifier, nonce);
    }

    private string AuthorizationUrl(string hint, string challenge, string nonce) => QueryHelpers.AddQueryString($"{_provider.Issuer}/authorize", new Dictionary<string, string?>
    {
        ["response_type"] = "code",
        ["client_id"] = Client,
        ["redirect_uri"] = RedirectUri,
        ["scope"] = "openid email",
        ["state"] = "xyz",
        ["nonce"] = nonce,
        ["code_challenge"] = challenge,
        ["code_challenge_method"] = "S256",
        ["login_hint"] = hint,
    });

    private Task<HttpResponseMessage> RedeemAsync(string code, string verifier, bool basic, string? secret = null, string redirectUri = RedirectUri)
    {
        secret ??= _provider.ClientSecret(Client);
        var form = new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = redirectUri,
            ["code_verifier"] = verifier,
        };
        if (!basic)
        {
            form["client_id"] = Client;
            form["client_secret"] = secret;
        }

        var request = new HttpRequestMessage(HttpMethod.Post, $"{_provider.Issuer}/token") { Content = new FormUrlEncodedContent(form) };
        if (basic)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(Client)}:{Uri.EscapeDataString(secret)}")));
        }

        return _http.SendAsync(request);
    }

    private Task<TokenValidationResult> ValidateAsync(string idToken, JsonWebKeySet keys) => new JsonWebTokenHandler().ValidateTokenAsync(idToken, new TokenValidationParameters
    {
        ValidIssuer = _provider.Issuer,
        ValidAudience = Client,
        IssuerSigningKeys = keys.GetSigningKeys(),
        ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
    });
}
