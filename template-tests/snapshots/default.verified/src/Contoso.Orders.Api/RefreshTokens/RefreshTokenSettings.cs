using Microsoft.Extensions.Options;

namespace Contoso.Orders.Api.RefreshTokens;

/// <summary>
/// Lifetime of refresh tokens (<c>Jwt:RefreshTokenDays</c>), of a login's whole family of them
/// (<c>Jwt:RefreshTokenFamilyDays</c>), and the pruning of old rows.
/// </summary>
public sealed class RefreshTokenSettings
{
    public int RefreshTokenDays { get; set; } = 14;

    /// <summary>The absolute lifetime of a login's refresh tokens: rotation never takes a family past it.</summary>
    public int RefreshTokenFamilyDays { get; set; } = 30;

    /// <summary>How often expired and revoked rows are pruned (<c>RefreshTokens:CleanupInterval</c>).</summary>
    public TimeSpan CleanupInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long expired and revoked rows are kept (for investigating a reuse) before they are deleted.</summary>
    public int RetentionDays { get; set; } = 7;
}

public sealed class RefreshTokenSettingsValidator : IValidateOptions<RefreshTokenSettings>
{
    public ValidateOptionsResult Validate(string? name, RefreshTokenSettings settings)
    {
        var failures = new List<string>();
        if (settings.RefreshTokenDays is < 1 or > 365)
        {
            failures.Add("Jwt:RefreshTokenDays must be between 1 and 365.");
        }

        if (settings.RefreshTokenFamilyDays < settings.RefreshTokenDays || settings.RefreshTokenFamilyDays > 3650)
        {
            failures.Add("Jwt:RefreshTokenFamilyDays must be between Jwt:RefreshTokenDays and 3650.");
        }

        if (settings.CleanupInterval < TimeSpan.FromSeconds(1) || settings.CleanupInterval > TimeSpan.FromDays(7))
        {
            failures.Add("RefreshTokens:CleanupInterval must be between 00:00:01 and 7.00:00:00.");
        }

        if (settings.RetentionDays is < 0 or > 365)
        {
            failures.Add("RefreshTokens:RetentionDays must be between 0 and 365.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
