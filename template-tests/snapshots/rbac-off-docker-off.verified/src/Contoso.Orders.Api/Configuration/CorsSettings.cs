using Microsoft.Extensions.Options;

namespace Contoso.Orders.Api.Configuration;

/// <summary>Browser origins allowed to call the API. Empty (the default) means CORS stays off.</summary>
public sealed class CorsSettings
{
    public const string Section = "Cors";

    public string[] AllowedOrigins { get; set; } = [];
}

public sealed class CorsSettingsValidator : IValidateOptions<CorsSettings>
{
    public ValidateOptionsResult Validate(string? name, CorsSettings settings)
    {
        var invalid = settings.AllowedOrigins.Count(origin =>
            origin == "*" || !Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"));
        return invalid == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail("Cors:AllowedOrigins must list absolute http(s) origins; '*' is not allowed.");
    }
}
