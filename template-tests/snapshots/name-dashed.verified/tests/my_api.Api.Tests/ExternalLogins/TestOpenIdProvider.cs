using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using my_api.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace my_api.Api.Tests.ExternalLogins;

/// <summary>How the ID token of a sign-in is wrong, each in one way only, so that a refusal names that way.</summary>
public enum IdTokenFlaw
{
    None,
    WrongIssuer,
    WrongAudience,
    Expired,
    MissingNonce,
    WrongNonce,

    /// <summary>Signed by a key the provider does not publish, under the published key's kid.</summary>
    ForeignKey,

    /// <summary>Another audience beside the client, and no <c>azp</c> naming the client.</summary>
    ExtraAudience,

    /// <summary>A good token whose payload was changed after signing (another email), the signature kept.</summary>
    TamperedPayload,

    /// <summary><c>alg: none</c>, no signature.</summary>
    Unsigned,
}

/// <summary>
/// The account a test signs in with at the provider, and how the provider treats that sign-in. <see cref="EmailVerified"/>
/// is the claim's JSON value (true, false, the string "true"), or null for no claim.
/// </summary>
public sealed record ProviderIdentity(string Subject, string? Email)
{
    public JsonNode? EmailVerified { get; init; } = true;

    public IdTokenFlaw Flaw { get; init; }

    /// <summary>The provider answers the authorization request with <c>error=access_denied</c>, as when the user declines.</summary>
    public bool Declines { get; init; }

    /// <summary>The token endpoint drops the connection without answering, as an unreachable one does.</summary>
    public bool TokenEndpointDown { get; init; }

    /// <summary>A new identity with a subject of its own, and a new address unless one is given.</summary>
    public static ProviderIdentity New(string? email = null) => new($"sub-{Guid.NewGuid():N}", email ?? ApiClient.NewEmail("external"));
}

/// <summary>
/// A minimal OpenID provider over real HTTP: discovery, JWKS, an authorization endpoint that signs in at once whoever the
/// test named in <c>login_hint</c> (no login page), and a token endpoint that checks the code, its redirect URI, the
/// client's secret and PKCE as a real provider does, and answers an RS256 ID token signed with a key made for this run.
/// One instance serves the whole test run (<see cref="Shared"/>); every configured provider of the test apps is one of
/// its clients.
/// </summary>
public sealed class TestOpenIdProvider : IAsyncDisposable
{
    private static readonly Lazy<TestOpenIdProvider> SharedInstance = new(() => StartNew(), LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly WebApplication _app;
    private readonly RSA _foreignKey = RSA.Create(2048);
    private RsaSecurityKey _key = NewKey($"provider-key-{Guid.NewGuid():N}");
    private readonly ConcurrentDictionary<string, string> _clientSecrets = new();
    private readonly ConcurrentDictionary<string, bool> _publicClients = new();
    private readonly ConcurrentDictionary<string, string> _clientAuthentications = new();
    private readonly ConcurrentDictionary<string, ProviderIdentity> _identities = new();
    private readonly ConcurrentDictionary<string, Authorization> _codes = new();
    private readonly ConcurrentDictionary<string, string> _outcomes = new();
    private readonly JsonWebTokenHandler _tokens = new();

    /// <summary>What the authorization endpoint remembers of a request, for the token request that redeems its code.</summary>
    private sealed record Authorization(string ClientId, string RedirectUri, string CodeChallenge, string? Nonce, ProviderIdentity Identity);

    /// <summary>Whether the discovery document offers only <c>client_secret_post</c>, and the token endpoint takes nothing else.</summary>
    private readonly bool _postOnly;

    private TestOpenIdProvider(WebApplication app, bool postOnly) => (_app, _postOnly) = (app, postOnly);

    /// <summary>The provider of the whole test run, started at first use.</summary>
    public static TestOpenIdProvider Shared => SharedInstance.Value;

    /// <summary>The issuer, which is also the authority the API's settings name.</summary>
    public string Issuer { get; private set; } = "";

    /// <summary>The client secret of <paramref name="clientId"/>, made at random at first use; the token endpoint takes only it.</summary>
    public string ClientSecret(string clientId) => _clientSecrets.GetOrAdd(clientId, _ => Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32)));

    /// <summary>Registers a public client: no secret, its code redeemed with PKCE alone.</summary>
    public void RegisterPublicClient(string clientId) => _publicClients[clientId] = true;

    /// <summary>How the client authenticated when it redeemed <paramref name="code"/>: <c>client_secret_basic</c>, <c>client_secret_post</c> or <c>none</c>.</summary>
    public string? ClientAuthentication(string code) => _clientAuthentications.TryGetValue(code, out var method) ? method : null;

    /// <summary>Registers the identity the next authorization requests with the returned key as <c>login_hint</c> sign in.</summary>
    public string Hint(ProviderIdentity identity)
    {
        var hint = Guid.NewGuid().ToString("N");
        _identities[hint] = identity;
        return hint;
    }

    /// <summary>
    /// What the token endpoint did with an authorization code: <c>issued</c>, or why it refused it; null if the code
    /// never reached it. A test of a refusal checks this, so that a refusal for another reason does not pass for it.
    /// </summary>
    public string? TokenOutcome(string code) => _outcomes.TryGetValue(code, out var outcome) ? outcome : null;

    private static RsaSecurityKey NewKey(string kid) => new(RSA.Create(2048)) { KeyId = kid };

    /// <summary>
    /// Signs from now on with a new key under a new kid, and publishes only that one, as a provider that rotated its
    /// key and retired the old one.
    /// </summary>
    public void RotateKey()
    {
        var old = _key;
        _key = NewKey($"provider-key-{Guid.NewGuid():N}");
        old.Rsa.Dispose();
    }

    /// <summary>
    /// A provider of a test's own (<see cref="Shared"/> is the run's), disposed by the test. Started on a thread that
    /// carries none of its caller's async context: the first caller is often an <c>ApiFactory</c> building the API's
    /// host, and WebApplicationFactory takes for the API's any host built within that context.
    /// </summary>
    public static TestOpenIdProvider StartNew(bool postOnly = false)
    {
        Task<TestOpenIdProvider> started;
        using (ExecutionContext.SuppressFlow())
        {
            started = Task.Run(() => StartHere(postOnly));
        }

        return started.GetAwaiter().GetResult();
    }

    private static TestOpenIdProvider StartHere(bool postOnly)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var provider = new TestOpenIdProvider(app, postOnly);
        app.MapGet("/.well-known/openid-configuration", provider.Discovery);
        app.MapGet("/jwks", provider.Jwks);
        app.MapGet("/authorize", provider.Authorize);
        app.MapPost("/token", (Delegate)provider.TokenAsync);
        app.Start();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        provider.Issuer = new Uri(address).GetLeftPart(UriPartial.Authority);
        return provider;
    }

    private IResult Discovery() => Results.Json(new JsonObject
    {
        ["issuer"] = Issuer,
        ["authorization_endpoint"] = $"{Issuer}/authorize",
        ["token_endpoint"] = $"{Issuer}/token",
        ["jwks_uri"] = $"{Issuer}/jwks",
        ["response_types_supported"] = new JsonArray("code"),
        ["subject_types_supported"] = new JsonArray("public"),
        ["id_token_signing_alg_values_supported"] = new JsonArray("RS256"),
        ["scopes_supported"] = new JsonArray("openid", "email", "profile"),
        ["code_challenge_methods_supported"] = new JsonArray("S256"),
        ["token_endpoint_auth_methods_supported"] = _postOnly ? new JsonArray("client_secret_post", "none") : new JsonArray("client_secret_basic", "client_secret_post", "none"),
    });

    private IResult Jwks()
    {
        var key = _key;
        var parameters = key.Rsa.ExportParameters(includePrivateParameters: false);
        return Results.Json(new JsonObject
        {
            ["keys"] = new JsonArray(new JsonObject
            {
                ["kty"] = "RSA",
                ["use"] = "sig",
                ["alg"] = "RS256",
                ["kid"] = key.KeyId,
                ["n"] = Base64UrlEncoder.Encode(parameters.Modulus),
                ["e"] = Base64UrlEncoder.Encode(parameters.Exponent),
            }),
        });
    }

    /// <summary>
    /// Signs in at once. A request a real provider would not redirect back (no known client, no redirect URI, no PKCE
    /// challenge) is a 400 that says why, so that the test following the redirect fails there.
    /// </summary>
    private IResult Authorize(HttpRequest request)
    {
        string? Get(string name) => request.Query[name].FirstOrDefault();
        var redirectUri = Get("redirect_uri");
        var state = Get("state");
        var problems = new List<string>();
        if (Get("client_id") is not { } clientId || !(_clientSecrets.ContainsKey(clientId) || _publicClients.ContainsKey(clientId)))
        {
            problems.Add("unknown client_id");
            clientId = "";
        }

        if (redirectUri is null || !redirectUri.StartsWith(ApiFactory.Issuer + "/", StringComparison.Ordinal))
        {
            problems.Add("redirect_uri is not the API's");
        }

        if (Get("response_type") != "code")
        {
            problems.Add("response_type is not code");
        }

        if (!(Get("scope") ?? "").Split(' ').Contains("openid"))
        {
            problems.Add("scope lacks openid");
        }

        if (Get("code_challenge_method") != "S256" || string.IsNullOrEmpty(Get("code_challenge")))
        {
            problems.Add("no S256 code_challenge");
        }

        if (string.IsNullOrEmpty(state))
        {
            problems.Add("no state");
        }

        if (Get("login_hint") is not { } hint || !_identities.TryGetValue(hint, out var identity))
        {
            problems.Add("no login_hint the test registered");
            identity = null;
        }

        if (problems.Count > 0)
        {
            return Results.BadRequest(string.Join("; ", problems));
        }

        if (identity!.Declines)
        {
            return Results.Redirect(QueryHelpers.AddQueryString(redirectUri!, new Dictionary<string, string?>
            {
                ["error"] = "access_denied",
                ["error_description"] = "The user declined.",
                ["state"] = state,
            }));
        }

        var code = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        _codes[code] = new Authorization(clientId!, redirectUri!, Get("code_challenge")!, Get("nonce"), identity);
        return Results.Redirect(QueryHelpers.AddQueryString(redirectUri!, new Dictionary<string, string?> { ["code"] = code, ["state"] = state }));
    }

    private async Task<IResult> TokenAsync(HttpContext context)
    {
        IFormCollection form;
        try
        {
            form = await context.Request.ReadFormAsync();
        }
        catch (InvalidDataException)
        {
            // ASP.NET Core refuses a form with a NUL in it; a provider answers that as any malformed request.
            return Results.Json(new JsonObject { ["error"] = "invalid_request" }, statusCode: StatusCodes.Status400BadRequest);
        }

        string? Get(string name) => form[name].FirstOrDefault();
        var code = Get("code") ?? "";
        // A code is spent by its first use, whatever comes of it.
        if (!_codes.TryRemove(code, out var authorization))
        {
            return Refuse(code, "invalid_grant", "unknown or used code");
        }

        if (Get("grant_type") != "authorization_code")
        {
            return Refuse(code, "unsupported_grant_type", "grant_type is not authorization_code");
        }

        if (ClientOf(context.Request, form) is not var (clientId, method))
        {
            return Refuse(code, "invalid_client", "client authentication failed", HttpStatusCode.Unauthorized);
        }

        _clientAuthentications[code] = method;

        if (clientId != authorization.ClientId)
        {
            return Refuse(code, "invalid_grant", "the code is another client's");
        }

        if (Get("redirect_uri") != authorization.RedirectUri)
        {
            return Refuse(code, "invalid_grant", "redirect_uri differs from the authorization request's");
        }

        var verifier = Get("code_verifier");
        if (verifier is null || Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))) != authorization.CodeChallenge)
        {
            return Refuse(code, "invalid_grant", "code_verifier does not match code_challenge");
        }

        if (authorization.Identity.TokenEndpointDown)
        {
            _outcomes[code] = "dropped";
            context.Abort();
            return Results.Empty;
        }

        var idToken = IdToken(authorization);
        var accessToken = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        TestRun.RememberSecret(idToken);
        TestRun.RememberSecret(accessToken);
        _outcomes[code] = "issued";
        context.Response.Headers.CacheControl = "no-store";
        return Results.Json(new JsonObject
        {
            ["access_token"] = accessToken,
            ["token_type"] = "Bearer",
            ["expires_in"] = 300,
            ["id_token"] = idToken,
        });
    }

    /// <summary>
    /// The client the request authenticates as, and how: with HTTP Basic (RFC 6749 2.3.1: each part form-encoded), in
    /// the form, or (a public client) by its id alone; null if it does not hold its secret, or uses a method this
    /// provider does not offer.
    /// </summary>
    private (string Id, string Method)? ClientOf(HttpRequest request, IFormCollection form)
    {
        string? id, secret;
        string method;
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            if (_postOnly)
            {
                return null;
            }

            method = "client_secret_basic";
            string decoded;
            try
            {
                decoded = Encoding.UTF8.GetString(Convert.FromBase64String(authorization["Basic ".Length..].Trim()));
            }
            catch (FormatException)
            {
                return null;
            }

            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                return null;
            }

            (id, secret) = (Uri.UnescapeDataString(decoded[..colon].Replace('+', ' ')), Uri.UnescapeDataString(decoded[(colon + 1)..].Replace('+', ' ')));
        }
        else
        {
            (id, secret) = (form["client_id"].FirstOrDefault(), form["client_secret"].FirstOrDefault());
            method = secret is null ? "none" : "client_secret_post";
        }

        if (id is not null && secret is null && _publicClients.ContainsKey(id))
        {
            return (id, method);
        }

        return id is not null && secret is not null && _clientSecrets.TryGetValue(id, out var expected)
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(expected))
            ? (id, method)
            : null;
    }

    private IResult Refuse(string code, string error, string why, HttpStatusCode status = HttpStatusCode.BadRequest)
    {
        _outcomes[code] = why;
        return Results.Json(new JsonObject { ["error"] = error, ["error_description"] = why }, statusCode: (int)status);
    }

    private string IdToken(Authorization authorization)
    {
        var identity = authorization.Identity;
        var now = DateTimeOffset.UtcNow;
        var (issuedAt, expires) = identity.Flaw == IdTokenFlaw.Expired ? (now.AddMinutes(-30), now.AddMinutes(-20)) : (now, now.AddMinutes(5));
        var payload = new JsonObject
        {
            ["iss"] = identity.Flaw == IdTokenFlaw.WrongIssuer ? "https://evil.test" : Issuer,
            ["aud"] = identity.Flaw switch
            {
                IdTokenFlaw.WrongAudience => "another-client",
                IdTokenFlaw.ExtraAudience => new JsonArray(authorization.ClientId, "another-client"),
                _ => authorization.ClientId,
            },
            ["sub"] = identity.Subject,
            ["iat"] = issuedAt.ToUnixTimeSeconds(),
            ["exp"] = expires.ToUnixTimeSeconds(),
        };
        if (identity.Email is not null)
        {
            payload["email"] = identity.Email;
        }

        if (identity.EmailVerified is not null)
        {
            payload["email_verified"] = identity.EmailVerified.DeepClone();
        }

        switch (identity.Flaw)
        {
            case IdTokenFlaw.WrongNonce:
                payload["nonce"] = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(16));
                break;
            case not IdTokenFlaw.MissingNonce when authorization.Nonce is not null:
                payload["nonce"] = authorization.Nonce;
                break;
        }

        if (identity.Flaw == IdTokenFlaw.Unsigned)
        {
            return $"{Base64UrlEncoder.Encode("""{"alg":"none","typ":"JWT"}""")}.{Base64UrlEncoder.Encode(payload.ToJsonString())}.";
        }

        var key = _key;
        if (identity.Flaw == IdTokenFlaw.ForeignKey)
        {
            key = new RsaSecurityKey(_foreignKey) { KeyId = key.KeyId };
        }

        var token = _tokens.CreateToken(payload.ToJsonString(), new SigningCredentials(key, SecurityAlgorithms.RsaSha256));
        if (identity.Flaw == IdTokenFlaw.TamperedPayload)
        {
            var parts = token.Split('.');
            payload["email"] = ApiClient.NewEmail("tampered");
            token = $"{parts[0]}.{Base64UrlEncoder.Encode(payload.ToJsonString())}.{parts[2]}";
        }

        return token;
    }

    /// <summary>An address on loopback that nothing listens on, for a provider that is down.</summary>
    public static string UnreachableAuthority()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}");
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _key.Rsa.Dispose();
        _foreignKey.Dispose();
    }
}
