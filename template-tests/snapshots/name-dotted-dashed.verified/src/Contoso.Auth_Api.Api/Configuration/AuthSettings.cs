using Microsoft.Extensions.Options;

namespace Contoso.Auth_Api.Api.Configuration;

public sealed class AuthSettings
{
    public const string Section = "Auth";

    /// <summary>BCrypt cost: each step doubles the time of one hash (12 is about a quarter of a second).</summary>
    public int BcryptWorkFactor { get; set; } = 12;

    /// <summary>Login refuses an account whose address was never confirmed (403 <c>email-not-confirmed</c>).</summary>
    public bool RequireConfirmedEmail { get; set; } = true;
}

public sealed class AuthSettingsValidator(IHostEnvironment environment) : IValidateOptions<AuthSettings>
{
    public const int ProductionMinimumWorkFactor = 10;

    public ValidateOptionsResult Validate(string? name, AuthSettings settings)
    {
        if (settings.BcryptWorkFactor is < 4 or > 31)
        {
            return ValidateOptionsResult.Fail("Auth:BcryptWorkFactor must be between 4 and 31.");
        }

        // Cheap hashes keep tests fast; nowhere else are they acceptable.
        var mayBeCheap = environment.IsDevelopment() || environment.IsEnvironment("Testing");
        return settings.BcryptWorkFactor < ProductionMinimumWorkFactor && !mayBeCheap
            ? ValidateOptionsResult.Fail($"Auth:BcryptWorkFactor must be at least {ProductionMinimumWorkFactor} outside Development and tests.")
            : ValidateOptionsResult.Success;
    }
}
