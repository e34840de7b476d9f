using Microsoft.Extensions.Options;

namespace Contoso.Orders.Api.Configuration;

public sealed class AuthSettings
{
    public const string Section = "Auth";

    /// <summary>BCrypt cost: each step doubles the time of one hash (12 is about a quarter of a second).</summary>
    public int BcryptWorkFactor { get; set; } = 12;

    /// <summary>Login refuses an account whose address was never confirmed (403 <c>email-not-confirmed</c>).</summary>
    public bool RequireConfirmedEmail { get; set; } = true;

    /// <summary>Failed logins for one email within <see cref="FailedLoginWindow"/> before its logins answer 429.</summary>
    public int MaxFailedLoginsPerEmail { get; set; } = 5;

    /// <summary>How long an email's failed logins count, from the first of them; also how often expired counts are pruned.</summary>
    public TimeSpan FailedLoginWindow { get; set; } = TimeSpan.FromMinutes(15);
}

public sealed class AuthSettingsValidator(IHostEnvironment environment) : IValidateOptions<AuthSettings>
{
    public const int ProductionMinimumWorkFactor = 10;

    public ValidateOptionsResult Validate(string? name, AuthSettings settings)
    {
        var failures = new List<string>();
        if (settings.BcryptWorkFactor is < 4 or > 31)
        {
            failures.Add("Auth:BcryptWorkFactor must be between 4 and 31.");
        }

        else if (settings.BcryptWorkFactor < ProductionMinimumWorkFactor && !environment.IsDevelopment() && !environment.IsEnvironment("Testing"))
        {
            // Cheap hashes keep tests fast; nowhere else are they acceptable.
            failures.Add($"Auth:BcryptWorkFactor must be at least {ProductionMinimumWorkFactor} outside Development and tests.");
        }

        if (settings.MaxFailedLoginsPerEmail is < 1 or > 1_000_000)
        {
            failures.Add("Auth:MaxFailedLoginsPerEmail must be between 1 and 1000000.");
        }

        if (settings.FailedLoginWindow < TimeSpan.FromSeconds(1) || settings.FailedLoginWindow > TimeSpan.FromDays(1))
        {
            failures.Add("Auth:FailedLoginWindow must be between 00:00:01 and 1.00:00:00.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
