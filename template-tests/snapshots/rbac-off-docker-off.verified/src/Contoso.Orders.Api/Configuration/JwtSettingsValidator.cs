using System.Text;
using Microsoft.Extensions.Options;

namespace Contoso.Orders.Api.Configuration;

/// <summary>Failure messages name the setting, never its value.</summary>
public sealed class JwtSettingsValidator(IHostEnvironment environment) : IValidateOptions<JwtSettings>
{
    /// <summary>Prefix of the key that <c>dotnet new</c> writes into appsettings.Development.json.</summary>
    public const string DevelopmentKeyPrefix = "dev-only-";

    private static readonly string[] PlaceholderMarkers = ["change-me", "changeme", "placeholder", "your-secret", "example"];

    public ValidateOptionsResult Validate(string? name, JwtSettings settings)
    {
        var failures = new List<string>();

        if (settings.SecurityAlgorithm is null)
        {
            failures.Add("Jwt:Algorithm must be HS256, HS384 or HS512.");
        }

        if (string.IsNullOrWhiteSpace(settings.SigningKey))
        {
            failures.Add("Jwt:SigningKey is not set.");
        }
        else if (PlaceholderMarkers.Any(marker => settings.SigningKey.Contains(marker, StringComparison.OrdinalIgnoreCase)))
        {
            failures.Add("Jwt:SigningKey is a placeholder: generate a key, for example with `openssl rand -base64 48`.");
        }
        else if (settings.SigningKey.StartsWith(DevelopmentKeyPrefix, StringComparison.Ordinal) && !environment.IsDevelopment())
        {
            failures.Add("Jwt:SigningKey is the Development-only key, which is refused outside Development.");
        }
        else if (Encoding.UTF8.GetByteCount(settings.SigningKey) < settings.MinimumKeyBytes)
        {
            failures.Add($"Jwt:SigningKey must be at least {settings.MinimumKeyBytes} bytes for {settings.Algorithm}.");
        }

        if (string.IsNullOrWhiteSpace(settings.Issuer))
        {
            failures.Add("Jwt:Issuer is not set.");
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
