using Microsoft.Extensions.Options;

namespace Contoso.Orders.Api.TwoFactor;

/// <summary>The second step of a login (<c>TwoFactor:ChallengeLifetime</c>).</summary>
public sealed class TwoFactorSettings
{
    public const string Section = "TwoFactor";

    /// <summary>Wrong codes an <c>mfaToken</c> survives; the next one ends it, and the password must be given again.</summary>
    public const int MaxWrongCodesPerChallenge = 5;

    /// <summary>How long an <c>mfaToken</c> waits for its code: long enough to find the phone, short enough to be worthless once stolen.</summary>
    public TimeSpan ChallengeLifetime { get; set; } = TimeSpan.FromMinutes(5);
}

public sealed class TwoFactorSettingsValidator : IValidateOptions<TwoFactorSettings>
{
    public ValidateOptionsResult Validate(string? name, TwoFactorSettings settings) =>
        settings.ChallengeLifetime < TimeSpan.FromMinutes(1) || settings.ChallengeLifetime > TimeSpan.FromMinutes(15)
            ? ValidateOptionsResult.Fail("TwoFactor:ChallengeLifetime must be between 00:01:00 and 00:15:00.")
            : ValidateOptionsResult.Success;
}
