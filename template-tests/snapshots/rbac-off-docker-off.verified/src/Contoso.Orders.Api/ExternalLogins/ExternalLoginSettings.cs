using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Contoso.Orders.Api.ExternalLogins;

/// <summary>
/// The OpenID Connect providers people may sign in with (<c>ExternalLogin:Providers:{name}</c>), and the front-end
/// pages a finished sign-in may return to (<c>ExternalLogin:AllowedReturnUrls</c>). No provider is a valid setting:
/// external sign-in is then simply not offered.
/// </summary>
public sealed partial class ExternalLoginSettings
{
    public const string Section = "ExternalLogin";

    public const int MaxProviderNameLength = 32;

    public const int MaxUrlLength = 2048;

    /// <summary>How long a person may take at the provider before the flow lapses.</summary>
    public static readonly TimeSpan FlowLifetime = TimeSpan.FromMinutes(10);

    /// <summary>How long the front end has to exchange the one-time code it was handed.</summary>
    public static readonly TimeSpan CodeLifetime = TimeSpan.FromSeconds(60);

    /// <summary>Absolute URLs; a return URL must be one of them or under one (same origin, and the path at or below its path).</summary>
    public string[] AllowedReturnUrls { get; set; } = [];

    public Dictionary<string, ExternalProviderSettings> Providers { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The return URL as it will be used (normalized), when it is under an allowed one; null otherwise.</summary>
    public string? Allowed(string returnUrl)
    {
        // A fragment would take the place of the one the callback writes; user info is how "https://good@evil" fools people.
        if (returnUrl.Length > MaxUrlLength || returnUrl.Contains('#') || !Uri.TryCreate(returnUrl, UriKind.Absolute, out var uri)
            || uri.Scheme is not ("https" or "http") || uri.UserInfo.Length > 0)
        {
            return null;
        }

        foreach (var allowed in AllowedReturnUrls)
        {
            var root = new Uri(allowed);
            // Paths compared after Uri has resolved dot segments, so that "/signed-in/../other" is "/other".
            var rootPath = root.AbsolutePath.TrimEnd('/');
            if (uri.Scheme == root.Scheme && string.Equals(uri.IdnHost, root.IdnHost, StringComparison.OrdinalIgnoreCase) && uri.Port == root.Port
                && (uri.AbsolutePath.TrimEnd('/') == rootPath || uri.AbsolutePath.StartsWith(rootPath + "/", StringComparison.Ordinal)))
            {
                return uri.AbsoluteUri;
            }
        }

        return null;
    }

    [GeneratedRegex("^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$")]
    internal static partial Regex ProviderName();
}

/// <summary>One OpenID Connect provider: Google, Microsoft Entra ID, Keycloak, Auth0, a company's own.</summary>
public sealed class ExternalProviderSettings
{
    /// <summary>The provider's name in the sign-in list; the provider's key when not set.</summary>
    public string? DisplayName { get; set; }

    /// <summary>The issuer: its <c>/.well-known/openid-configuration</c> describes the provider, and ID tokens must name it as <c>iss</c>.</summary>
    public string? Authority { get; set; }

    public string? ClientId { get; set; }

    /// <summary>Absent for a public client, which proves itself with PKCE alone.</summary>
    public string? ClientSecret { get; set; }

    /// <summary><c>openid email profile</c> when empty; <c>openid</c> is always asked for.</summary>
    public string[] Scopes { get; set; } = [];

    /// <summary>
    /// The provider's verified addresses are its users' own (a company's directory, your own Keycloak), so a first
    /// sign-in with the address of an existing account may link to it. Never for a provider where anyone can make
    /// an account with any address.
    /// </summary>
    public bool TrustEmail { get; set; }

    /// <summary>The provider's sign-in is itself two factors (it enforces MFA): accounts with 2FA on skip the code.</summary>
    public bool SatisfiesTwoFactor { get; set; }

    public IReadOnlyList<string> ScopesToAsk() => ["openid", .. (Scopes.Length == 0 ? ["email", "profile"] : Scopes.Where(s => s != "openid"))];
}

/// <summary>
/// Checked at start-up: a provider that cannot work, or an allow-list that lets a sign-in's code go to any page,
/// stops the API with one line naming the setting.
/// </summary>
public sealed class ExternalLoginSettingsValidator(IHostEnvironment environment) : IValidateOptions<ExternalLoginSettings>
{
    public ValidateOptionsResult Validate(string? name, ExternalLoginSettings settings)
    {
        foreach (var (provider, options) in settings.Providers)
        {
            if (ProviderProblem(provider, options) is { } problem)
            {
                return ValidateOptionsResult.Fail(problem);
            }
        }

        for (var i = 0; i < settings.AllowedReturnUrls.Length; i++)
        {
            if (UrlProblem(settings.AllowedReturnUrls[i]) is { } problem)
            {
                return ValidateOptionsResult.Fail($"ExternalLogin:AllowedReturnUrls:{i} {problem}");
            }
        }

        if (settings.Providers.Count > 0 && settings.AllowedReturnUrls.Length == 0)
        {
            return ValidateOptionsResult.Fail(
                "ExternalLogin:AllowedReturnUrls must list the front-end pages a sign-in may return to, such as https://app.example.com/signed-in, when a provider is configured.");
        }

        return ValidateOptionsResult.Success;
    }

    private string? ProviderProblem(string provider, ExternalProviderSettings options)
    {
        if (!ExternalLoginSettings.ProviderName().IsMatch(provider))
        {
            return $"ExternalLogin:Providers names must be lower-case letters, digits and inner hyphens, at most {ExternalLoginSettings.MaxProviderNameLength} characters (they are a path segment): rename '{Printable(provider)}'.";
        }

        var prefix = $"ExternalLogin:Providers:{provider}";
        if (string.IsNullOrWhiteSpace(options.Authority))
        {
            return $"{prefix}:Authority is required: the provider's issuer URL, such as https://accounts.google.com.";
        }

        if (UrlProblem(options.Authority) is { } problem)
        {
            return $"{prefix}:Authority {problem}";
        }

        if (new Uri(options.Authority).Query.Length > 0)
        {
            return $"{prefix}:Authority must have no query: it is the issuer, such as https://login.microsoftonline.com/<tenant-id>/v2.0.";
        }

        if (string.IsNullOrWhiteSpace(options.ClientId))
        {
            return $"{prefix}:ClientId is required: the client id the provider gave this API.";
        }

        if (options.Scopes.Any(scope => string.IsNullOrWhiteSpace(scope) || scope.Any(c => char.IsWhiteSpace(c) || char.IsControl(c))))
        {
            return $"{prefix}:Scopes must each be one scope, without spaces, such as email.";
        }

        return options.DisplayName is { } displayName && (displayName.Length > 64 || displayName.Any(char.IsControl))
            ? $"{prefix}:DisplayName must be at most 64 characters, without control characters."
            : null;
    }

    /// <summary>Why the URL cannot be used; null when it can. Plain http only for the machine itself, or in Development.</summary>
    private string? UrlProblem(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http") || uri.UserInfo.Length > 0 || uri.Fragment.Length > 0
            || url.Length > ExternalLoginSettings.MaxUrlLength)
        {
            return "must be an absolute https URL without user info or fragment.";
        }

        return uri.Scheme == "http" && !uri.IsLoopback && !environment.IsDevelopment()
            ? "must be https outside Development (http only on a loopback address)."
            : null;
    }

    private static string Printable(string text) => new([.. text.Take(ExternalLoginSettings.MaxProviderNameLength).Select(c => char.IsControl(c) ? '?' : c)]);
}
