using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AuthTemplate.TemplateTests;

/// <summary>Who the provider says signed in.</summary>
public sealed record TestIdentity(string Subject, string Email);

/// <summary>
/// The least an OpenID provider must do for the API's external sign-in, at <c>http://127.0.0.1:PORT</c>: discovery,
/// an authorization endpoint that signs <see cref="Identity"/> in at once (no login page) and sends the browser back
/// with a code, a token endpoint that redeems the code only for this client (its secret, by HTTP Basic or in the form),
/// the registered redirect URI and the PKCE verifier (S256), and answers with an RS256 ID token carrying the
/// authorization request's nonce; and the key set that verifies it. Whatever it refuses, it says in <see cref="Log"/>.
/// </summary>
public sealed class TestOpenIdProvider : IAsyncDisposable
{
    public const string ClientId = "walkthrough";

    readonly WebApplication app;
    readonly RSA key = RSA.Create(2048);
    readonly string keyId = Guid.NewGuid().ToString("N")[..12];
    readonly ConcurrentDictionary<string, Grant> grants = new(StringComparer.Ordinal);
    readonly ConcurrentQueue<string> log = new();

    TestOpenIdProvider(WebApplication app, string redirectUri)
    {
        this.app = app;
        RedirectUri = redirectUri;
    }

    /// <summary>The issuer, and the base of every endpoint.</summary>
    public string Authority { get; private set; } = "";

    public string ClientSecret { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    /// <summary>The one redirect URI registered for the client.</summary>
    public string RedirectUri { get; }

    /// <summary>Who the next authorization request signs in; its email is always verified.</summary>
    public TestIdentity Identity { get; set; } = new(Guid.NewGuid().ToString("N"), $"{Guid.NewGuid():N}@provider.example");

    /// <summary>The requests the provider answered and why it refused any, one line each.</summary>
    public string Log => log.IsEmpty ? "  (nothing)" : string.Join('\n', log.Select(line => "  " + line));

    /// <summary>Started on a port the system chose when it was bound.</summary>
    public static async Task<TestOpenIdProvider> StartAsync(string redirectUri)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = Path.GetTempPath() });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var provider = new TestOpenIdProvider(app, redirectUri);
        app.MapGet("/.well-known/openid-configuration", provider.Discovery);
        app.MapGet("/authorize", provider.Authorize);
        app.MapPost("/token", provider.TokenAsync);
        app.MapGet("/jwks", provider.KeySet);
        await app.StartAsync();
        provider.Authority = $"http://127.0.0.1:{new Uri(app.Urls.Single()).Port}";
        return provider;
    }

    IResult Discovery()
    {
        log.Enqueue("GET /.well-known/openid-configuration");
        return Results.Json(new Dictionary<string, object>
        {
            ["issuer"] = Authority,
            ["authorization_endpoint"] = $"{Authority}/authorize",
            ["token_endpoint"] = $"{Authority}/token",
            ["jwks_uri"] = $"{Authority}/jwks",
            ["response_types_supported"] = new[] { "code" },
            ["subject_types_supported"] = new[] { "public" },
            ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
            ["code_challenge_methods_supported"] = new[] { "S256" },
            ["token_endpoint_auth_methods_supported"] = new[] { "client_secret_basic", "client_secret_post" },
            ["scopes_supported"] = new[] { "openid", "email", "profile" },
        });
    }

    IResult Authorize(HttpRequest request)
    {
        string Query(string name) => request.Query[name].ToString();
        var problem =
            Query("response_type") != "code" ? "response_type is not code"
            : Query("client_id") != ClientId ? $"client_id {Query("client_id")} is unknown"
            : Query("redirect_uri") != RedirectUri ? $"redirect_uri {Query("redirect_uri")} is not the registered {RedirectUri}"
            : !Query("scope").Split(' ').Contains("openid") ? $"scope {Query("scope")} lacks openid"
            : Query("code_challenge_method") != "S256" || Query("code_challenge").Length < 43 ? "no S256 code challenge"
            : Query("state").Length == 0 || Query("nonce").Length == 0 ? "no state or no nonce"
            : null;
        if (problem is not null)
        {
            log.Enqueue($"GET /authorize refused: {problem}");
            return Results.BadRequest(problem);
        }

        var code = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        grants[code] = new Grant(Query("redirect_uri"), Query("code_challenge"), Query("nonce"), Identity);
        log.Enqueue($"GET /authorize: {Identity.Email} signed in, sent back to the redirect URI");
        return Results.Redirect($"{RedirectUri}?code={Uri.EscapeDataString(code)}&state={Uri.EscapeDataString(Query("state"))}");
    }

    async Task<IResult> TokenAsync(HttpRequest request)
    {
        var form = await request.ReadFormAsync();
        string? clientId = form["client_id"], secret = form["client_secret"];
        var how = "client_secret_post";
        if (request.Headers.Authorization.ToString() is var header && header.StartsWith("Basic ", StringComparison.Ordinal))
        {
            // RFC 6749 2.3.1: the id and the secret are each form-encoded before they are joined and base64-encoded.
            var pair = Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..])).Split(':', 2);
            (clientId, secret, how) = (Uri.UnescapeDataString(pair[0]), pair.Length == 2 ? Uri.UnescapeDataString(pair[1]) : null, "client_secret_basic");
        }

        var code = form["code"].ToString();
        var verifier = form["code_verifier"].ToString();
        // A code is spent at its first redemption, whatever the outcome.
        var grant = grants.TryRemove(code, out var granted) ? granted : null;
        var problem =
            form["grant_type"] != "authorization_code" ? "grant_type is not authorization_code"
            : clientId != ClientId || secret != ClientSecret ? $"the client is not authenticated ({how})"
            : grant is null ? "the code is unknown or used"
            : form["redirect_uri"] != grant.RedirectUri ? "redirect_uri is not the authorization request's"
            : verifier.Length == 0 || Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))) != grant.CodeChallenge
                ? "the code verifier does not match the code challenge"
            : null;
        if (problem is not null || grant is null)
        {
            log.Enqueue($"POST /token refused: {problem}");
            return Results.Json(new { error = "invalid_grant", error_description = problem }, statusCode: StatusCodes.Status400BadRequest);
        }

        log.Enqueue($"POST /token ({how}): an ID token for {grant.Identity.Email}");
        return Results.Json(new
        {
            access_token = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32)),
            token_type = "Bearer",
            expires_in = 300,
            id_token = IdToken(grant),
        });
    }

    IResult KeySet()
    {
        log.Enqueue("GET /jwks");
        var parameters = key.ExportParameters(includePrivateParameters: false);
        return Results.Json(new
        {
            keys = new[]
            {
                new { kty = "RSA", use = "sig", alg = "RS256", kid = keyId, n = Base64Url.EncodeToString(parameters.Modulus), e = Base64Url.EncodeToString(parameters.Exponent) },
            },
        });
    }

    string IdToken(Grant grant)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = JsonSerializer.SerializeToUtf8Bytes(new { alg = "RS256", typ = "JWT", kid = keyId });
        var payload = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["iss"] = Authority,
            ["sub"] = grant.Identity.Subject,
            ["aud"] = ClientId,
            ["iat"] = now,
            ["exp"] = now + 300,
            ["nonce"] = grant.Nonce,
            ["email"] = grant.Identity.Email,
            ["email_verified"] = true,
        });
        var signed = $"{Base64Url.EncodeToString(header)}.{Base64Url.EncodeToString(payload)}";
        var signature = key.SignData(Encoding.ASCII.GetBytes(signed), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return $"{signed}.{Base64Url.EncodeToString(signature)}";
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
        key.Dispose();
    }

    sealed record Grant(string RedirectUri, string CodeChallenge, string Nonce, TestIdentity Identity);
}
