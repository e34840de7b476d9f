using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Contoso.Orders.Api.Configuration;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Contoso.Orders.Api.ExternalLogins;

/// <summary>Who the provider says signed in: the identity (issuer and subject) and the address, if it gave one.</summary>
public sealed record ExternalIdentity(string Issuer, string Subject, string? Email, bool EmailVerified);

/// <summary>The ID token a code was redeemed for, validated; or why there is none (an <see cref="ExternalLoginErrors"/> value).</summary>
public sealed record Redemption(ExternalIdentity? Identity, string? Error = null);

/// <summary>
/// One configured OpenID provider, as the API's client of it: its discovery document and signing keys (cached by
/// <see cref="ConfigurationManager{T}"/>, fetched again every 12 hours, and at once, at most twice a minute, when an ID
/// token names a key they do not hold: the provider rotated its keys), the authorization URL, and the code's redemption
/// with a full check of the ID token it brings.
/// </summary>
public sealed class OpenIdProvider
{
    private static readonly JsonWebTokenHandler IdTokens = new();

    private static readonly TimeSpan RefetchInterval = TimeSpan.FromSeconds(30);

    private readonly string _metadataAddress;
    private readonly HttpDocumentRetriever _documents;
    private readonly ConfigurationManager<OpenIdConnectConfiguration> _metadata;

    /// <summary>The document fetched past the cache for a key it did not hold: its keys count beside the cache's.</summary>
    private OpenIdConnectConfiguration? _refetched;
    private long _lastRefetch = long.MinValue;
    private readonly HttpClient _http;
    private readonly ILogger _logger;

    internal OpenIdProvider(string name, ExternalProviderSettings settings, string redirectUri, HttpClient http, ILogger logger)
    {
        Name = name;
        Settings = settings;
        RedirectUri = redirectUri;
        _http = http;
        _logger = logger;
        var authority = settings.Authority!.Trim();
        _metadataAddress = authority.TrimEnd('/') + "/.well-known/openid-configuration";
        // Plain http only where the settings allowed it: a loopback provider, or Development.
        _documents = new HttpDocumentRetriever(http) { RequireHttps = authority.StartsWith("https:", StringComparison.OrdinalIgnoreCase) };
        _metadata = new ConfigurationManager<OpenIdConnectConfiguration>(_metadataAddress, new OpenIdConnectConfigurationRetriever(), _documents);
    }

    public string Name { get; }

    public string DisplayName => string.IsNullOrWhiteSpace(Settings.DisplayName) ? Name : Settings.DisplayName;

    public ExternalProviderSettings Settings { get; }

    /// <summary>Where the provider sends the browser back: registered with the provider as the client's redirect URI.</summary>
    public string RedirectUri { get; }

    /// <summary>The URL that sends the browser to the provider for this flow; null when the provider cannot be reached.</summary>
    public async Task<string?> AuthorizationUrlAsync(string state, string nonce, string codeChallenge, CancellationToken cancellationToken)
    {
        var metadata = await MetadataAsync(cancellationToken);
        if (metadata is null)
        {
            return null;
        }

        return QueryHelpers.AddQueryString(metadata.AuthorizationEndpoint, new Dictionary<string, string?>
        {
            ["response_type"] = "code",
            ["client_id"] = Settings.ClientId,
            ["redirect_uri"] = RedirectUri,
            ["scope"] = string.Join(' ', Settings.ScopesToAsk()),
            ["state"] = state,
            ["nonce"] = nonce,
            ["code_challenge"] = codeChallenge,
            ["code_challenge_method"] = "S256",
        });
    }

    /// <summary>
    /// Redeems the authorization code at the token endpoint (with the flow's PKCE verifier, so that a code stolen on its
    /// way back is of no use elsewhere) and validates the ID token: the provider's signature, <c>iss</c>, <c>aud</c>
    /// (and <c>azp</c>), <c>exp</c>, and the flow's <c>nonce</c>.
    /// </summary>
    public async Task<Redemption> RedeemAsync(string code, string codeVerifier, string nonce, CancellationToken cancellationToken)
    {
        var metadata = await MetadataAsync(cancellationToken);
        if (metadata is null)
        {
            return new(null, ExternalLoginErrors.ProviderUnavailable);
        }

        string? idToken;
        try
        {
            using var request = TokenRequest(metadata, code, codeVerifier);
            using var response = await _http.SendAsync(request, cancellationToken);
            if ((int)response.StatusCode >= 500)
            {
                _logger.LogWarning("The token endpoint of {Provider} answered {Status}", Name, (int)response.StatusCode);
                return new(null, ExternalLoginErrors.ProviderUnavailable);
            }

            idToken = await ReadIdTokenAsync(response, cancellationToken);
            if (!response.IsSuccessStatusCode || idToken is null)
            {
                _logger.LogWarning("The token endpoint of {Provider} refused the code or gave no ID token ({Status})", Name, (int)response.StatusCode);
                return new(null, ExternalLoginErrors.InvalidResponse);
            }
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            _logger.LogWarning("The token endpoint of {Provider} could not be reached: {Reason}", Name, exception.Message);
            return new(null, ExternalLoginErrors.ProviderUnavailable);
        }

        var validated = await IdTokens.ValidateTokenAsync(idToken, ValidationFor(metadata));
        if (validated.Exception is SecurityTokenSignatureKeyNotFoundException && await RefetchAsync(cancellationToken))
        {
            validated = await IdTokens.ValidateTokenAsync(idToken, ValidationFor(metadata));
        }

        if (!validated.IsValid || validated.SecurityToken is not JsonWebToken token)
        {
            _logger.LogWarning("An ID token from {Provider} was refused: {Reason}", Name, validated.Exception?.GetType().Name);
            return new(null, ExternalLoginErrors.InvalidResponse);
        }

        var problem = ClaimProblem(token, nonce);
        if (problem is not null)
        {
            _logger.LogWarning("An ID token from {Provider} was refused: {Reason}", Name, problem);
            return new(null, ExternalLoginErrors.InvalidResponse);
        }

        token.TryGetPayloadValue<string>("email", out var email);
        return new(new ExternalIdentity(token.Issuer, token.Subject, string.IsNullOrWhiteSpace(email) ? null : email, EmailVerified(token)));
    }

    private async Task<OpenIdConnectConfiguration?> MetadataAsync(CancellationToken cancellationToken)
    {
        try
        {
            var metadata = await _metadata.GetConfigurationAsync(cancellationToken);
            if (!string.IsNullOrEmpty(metadata.AuthorizationEndpoint) && !string.IsNullOrEmpty(metadata.TokenEndpoint))
            {
                return metadata;
            }

            _logger.LogWarning("The discovery document of {Provider} names no authorization or token endpoint", Name);
            return null;
        }
        catch (Exception exception) when (exception is InvalidOperationException or HttpRequestException or IOException && !cancellationToken.IsCancellationRequested)
        {
            _logger.LogWarning("The discovery document of {Provider} could not be read: {Reason}", Name, exception.Message);
            return null;
        }
    }

    /// <summary>
    /// Fetches the discovery document and keys past the cache (which fetches them again only every 12 hours), unless
    /// that was done moments ago; true when there are keys newer than the cache's.
    /// </summary>
    private async Task<bool> RefetchAsync(CancellationToken cancellationToken)
    {
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _lastRefetch);
        if ((last != long.MinValue && now - last < RefetchInterval.TotalMilliseconds) || Interlocked.CompareExchange(ref _lastRefetch, now, last) != last)
        {
            return _refetched is not null;
        }

        try
        {
            _refetched = await OpenIdConnectConfigurationRetriever.GetAsync(_metadataAddress, _documents, cancellationToken);
            _logger.LogInformation("The keys of {Provider} were fetched again for an ID token signed with a key they did not hold", Name);
            return true;
        }
        catch (Exception exception) when (exception is InvalidOperationException or HttpRequestException or IOException or ArgumentException
            && !cancellationToken.IsCancellationRequested)
        {
            _logger.LogWarning("The keys of {Provider} could not be fetched again: {Reason}", Name, exception.Message);
            return false;
        }
    }

    private HttpRequestMessage TokenRequest(OpenIdConnectConfiguration metadata, string code, string codeVerifier)
    {
        var form = new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = RedirectUri,
            ["code_verifier"] = codeVerifier,
        };
        var request = new HttpRequestMessage(HttpMethod.Post, metadata.TokenEndpoint);
        var secret = Settings.ClientSecret;
        var postOnly = metadata.TokenEndpointAuthMethodsSupported is { Count: > 0 } methods
            && !methods.Contains("client_secret_basic") && methods.Contains("client_secret_post");
        if (string.IsNullOrEmpty(secret) || postOnly)
        {
            form["client_id"] = Settings.ClientId!;
            if (!string.IsNullOrEmpty(secret))
            {
                form["client_secret"] = secret;
            }
        }
        else
        {
            // RFC 6749 2.3.1: each part form-encoded before the pair is base64-encoded.
            var credentials = $"{Uri.EscapeDataString(Settings.ClientId!)}:{Uri.EscapeDataString(secret)}";
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));
        }

        request.Content = new FormUrlEncodedContent(form);
        return request;
    }

    private static async Task<string?> ReadIdTokenAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            using var json = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
            return json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("id_token", out var token)
                && token.ValueKind == JsonValueKind.String ? token.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private TokenValidationParameters ValidationFor(OpenIdConnectConfiguration metadata)
    {
        var authority = Settings.Authority!.Trim();
        return new TokenValidationParameters
        {
            // The issuer is the authority configured, not whatever the discovery document says.
            ValidIssuers = [authority, authority.TrimEnd('/'), authority.TrimEnd('/') + "/"],
            ValidAudience = Settings.ClientId,
            IssuerSigningKeys = _refetched is { } refetched ? [.. metadata.SigningKeys, .. refetched.SigningKeys] : metadata.SigningKeys,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateLifetime = true,
            ClockSkew = TimeSpan.FromMinutes(2),
        };
    }

    /// <summary>What the signature and lifetime checks leave to the client (OpenID Connect Core 3.1.3.7); null when all is well.</summary>
    private string? ClaimProblem(JsonWebToken token, string nonce)
    {
        if (!token.TryGetPayloadValue<string>("nonce", out var tokenNonce) || tokenNonce is null
            || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(tokenNonce), Encoding.UTF8.GetBytes(nonce)))
        {
            return "the nonce is missing or not the flow's";
        }

        if (token.Audiences.Count() > 1 && (!token.TryGetPayloadValue<string>("azp", out var party) || party != Settings.ClientId))
        {
            return "several audiences, and azp is not this client";
        }

        return string.IsNullOrEmpty(token.Subject) || token.Subject.Length > 255 ? "sub is missing or too long" : null;
    }

    /// <summary>True only for <c>email_verified: true</c> (or "true", as a few providers send it); missing means no.</summary>
    private static bool EmailVerified(JsonWebToken token) =>
        token.TryGetPayloadValue<bool>("email_verified", out var verified) ? verified
        : token.TryGetPayloadValue<string>("email_verified", out var text) && string.Equals(text, "true", StringComparison.OrdinalIgnoreCase);
}

/// <summary>The configured providers, by name, sharing one HTTP client.</summary>
public sealed class OpenIdProviders : IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), AllowAutoRedirect = false })
    {
        // A provider that hangs must not hold a sign-in (and a request thread) for long.
        Timeout = TimeSpan.FromSeconds(10),
    };

    private readonly Dictionary<string, OpenIdProvider> _providers;

    public OpenIdProviders(IOptions<ExternalLoginSettings> settings, IOptions<JwtSettings> jwt, ILogger<OpenIdProvider> logger)
    {
        var baseUrl = jwt.Value.Issuer.TrimEnd('/');
        _providers = settings.Value.Providers.ToDictionary(
            p => p.Key,
            p => new OpenIdProvider(p.Key, p.Value, baseUrl + ExternalLoginsApi.CallbackPath(p.Key), _http, logger),
            StringComparer.Ordinal);
    }

    public IEnumerable<OpenIdProvider> All => _providers.Values.OrderBy(p => p.Name, StringComparer.Ordinal);

    public OpenIdProvider? Find(string name) => _providers.GetValueOrDefault(name);

    public void Dispose() => _http.Dispose();
}
