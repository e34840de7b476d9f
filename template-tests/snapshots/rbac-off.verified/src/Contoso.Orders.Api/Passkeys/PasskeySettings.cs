using System.Globalization;
using Microsoft.Extensions.Options;

namespace Contoso.Orders.Api.Passkeys;

/// <summary>
/// The relying party passkeys are made for (<c>Passkeys:RpId</c>, <c>Passkeys:RpName</c>) and the page origins allowed
/// to use them (<c>Passkeys:Origins</c>). A passkey is bound to the rpId for good: moving the service to another
/// domain leaves its passkeys behind.
/// </summary>
public sealed class PasskeySettings
{
    public const string Section = "Passkeys";

    /// <summary>How long a registration or sign-in waits for the authenticator's answer.</summary>
    public static readonly TimeSpan FlowLifetime = TimeSpan.FromMinutes(5);

    /// <summary>A registrable domain (<c>example.com</c>), the host of every origin or a parent of it.</summary>
    public string? RpId { get; set; }

    /// <summary>The name an authenticator shows beside the account.</summary>
    public string RpName { get; set; } = "";

    /// <summary>The origins of the pages (and apps) that call WebAuthn: <c>https://app.example.com</c>.</summary>
    public string[] Origins { get; set; } = [];
}

/// <summary>
/// Checked at start-up, as a browser would check them later: an origin must be a secure context (https, or http on
/// localhost, so that a front end run locally can use a production-mode API) and within the rpId's domain.
/// </summary>
public sealed class PasskeySettingsValidator(IHostEnvironment environment) : IValidateOptions<PasskeySettings>
{
    public ValidateOptionsResult Validate(string? name, PasskeySettings settings)
    {
        var rpId = settings.RpId?.Trim();
        if (string.IsNullOrEmpty(rpId))
        {
            return Fail(environment.IsDevelopment()
                ? "Passkeys:RpId is required (appsettings.Development.json sets localhost)."
                : "Passkeys:RpId is required outside Development: the domain passkeys are bound to, such as example.com.");
        }

        if (Uri.CheckHostName(rpId) != UriHostNameType.Dns || rpId.EndsWith('.') || rpId != rpId.ToLower(CultureInfo.InvariantCulture))
        {
            return Fail("Passkeys:RpId must be a lower-case domain name without scheme, port or path, such as example.com.");
        }

        if (string.IsNullOrWhiteSpace(settings.RpName))
        {
            return Fail("Passkeys:RpName is required: the name authenticators show beside the account.");
        }

        if (settings.Origins.Length == 0)
        {
            return Fail("Passkeys:Origins must list the origins of the pages that use passkeys, such as https://app.example.com.");
        }

        foreach (var origin in settings.Origins)
        {
            if (OriginProblem(origin, rpId) is { } problem)
            {
                return Fail(problem);
            }
        }

        return ValidateOptionsResult.Success;
    }

    /// <summary>Why an origin cannot be used with the rpId; null when it can. Android app origins pass as they are.</summary>
    private static string? OriginProblem(string origin, string rpId)
    {
        if (origin.StartsWith("android:apk-key-hash:", StringComparison.Ordinal))
        {
            return null;
        }

        if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http")
            || uri.AbsolutePath != "/" || origin.EndsWith('/') || uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0)
        {
            return "Passkeys:Origins must hold origins only (scheme, host and port, no path or trailing slash), such as https://app.example.com.";
        }

        if (uri.Scheme == "http" && !uri.IsLoopback)
        {
            return "Passkeys:Origins must be https, or http://localhost[:port]: browsers offer passkeys only to secure contexts.";
        }

        if (uri.Scheme == "http" && uri.Host != "localhost")
        {
            return "Passkeys:Origins may use http only with the host name localhost: a passkey's rpId is a domain, never an address.";
        }

        var host = uri.IdnHost;
        return host == rpId || host.EndsWith("." + rpId, StringComparison.Ordinal)
            ? null
            : "Passkeys:Origins must be on Passkeys:RpId or a subdomain of it: a browser refuses a passkey for a domain the page is not on.";
    }

    private static ValidateOptionsResult Fail(string message) => ValidateOptionsResult.Fail(message);
}
