using Microsoft.Extensions.Options;

namespace Contoso.Orders.Api.Configuration;

/// <summary>How many requests one client address may send to each credential endpoint per window.</summary>
public sealed class RateLimitingSettings
{
    public const string Section = "RateLimiting";

    public int PermitLimit { get; set; } = 10;

    public int WindowSeconds { get; set; } = 60;
}

public sealed class RateLimitingSettingsValidator : IValidateOptions<RateLimitingSettings>
{
    public ValidateOptionsResult Validate(string? name, RateLimitingSettings settings)
    {
        var failures = new List<string>();
        if (settings.PermitLimit < 1)
        {
            failures.Add("RateLimiting:PermitLimit must be at least 1.");
        }

        if (settings.WindowSeconds is < 1 or > 86_400)
        {
            failures.Add("RateLimiting:WindowSeconds must be between 1 and 86400.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
