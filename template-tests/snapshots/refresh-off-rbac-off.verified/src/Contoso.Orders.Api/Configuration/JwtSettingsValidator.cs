using Contoso.Orders.Api.Security.SigningKeys;
using Microsoft.Extensions.Options;

namespace Contoso.Orders.Api.Configuration;

/// <summary>
/// Failure messages name the setting, never its value. The signing keys themselves are checked where they are loaded
/// (<see cref="SigningKeyLoader"/>): that needs their files.
/// </summary>
public sealed class JwtSettingsValidator(IHostEnvironment environment) : IValidateOptions<JwtSettings>
{
    public ValidateOptionsResult Validate(string? name, JwtSettings settings)
    {
        var failures = new List<string>();

        if (!SigningAlgorithms.Supported.Contains(settings.Algorithm))
        {
            failures.Add($"Jwt:Algorithm must be {string.Join(" or ", SigningAlgorithms.Supported)}.");
        }

        if (string.IsNullOrWhiteSpace(settings.Issuer))
        {
            failures.Add("Jwt:Issuer is not set: set it to the API's public base URL, for example https://auth.example.com.");
        }
        else if (!Uri.TryCreate(settings.Issuer, UriKind.Absolute, out var issuer) || issuer.Scheme is not ("https" or "http")
            || issuer.Query.Length > 0 || issuer.Fragment.Length > 0 || issuer.UserInfo.Length > 0)
        {
            failures.Add("Jwt:Issuer must be the API's public base URL: an absolute http(s) URL without query or fragment.");
        }
        else if (issuer.Scheme != "https" && !environment.IsDevelopment())
        {
            // Validators fetch our keys from this address: over plain HTTP anyone on the way could hand them other keys.
            failures.Add("Jwt:Issuer must be an https URL outside Development.");
        }

        if (string.IsNullOrWhiteSpace(settings.Audience))
        {
            failures.Add("Jwt:Audience is not set.");
        }

        if (settings.AccessTokenMinutes is < 1 or > 1440)
        {
            failures.Add("Jwt:AccessTokenMinutes must be between 1 and 1440.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
