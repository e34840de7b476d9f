using Microsoft.Extensions.Options;

namespace Contoso.Orders.Api.Account;

/// <summary>How long each emailed token stays usable (<c>Auth:ConfirmEmailTokenLifetime</c> and the others).</summary>
public sealed class AccountSettings
{
    public TimeSpan ConfirmEmailTokenLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Short: a reset link in a mailbox is a password for whoever reads the mailbox.</summary>
    public TimeSpan ResetPasswordTokenLifetime { get; set; } = TimeSpan.FromMinutes(30);

    public TimeSpan ChangeEmailTokenLifetime { get; set; } = TimeSpan.FromHours(1);

    public TimeSpan LifetimeOf(AccountTokenPurpose purpose) => purpose switch
    {
        AccountTokenPurpose.ConfirmEmail => ConfirmEmailTokenLifetime,
        AccountTokenPurpose.ResetPassword => ResetPasswordTokenLifetime,
        _ => ChangeEmailTokenLifetime,
    };
}

public sealed class AccountSettingsValidator : IValidateOptions<AccountSettings>
{
    public ValidateOptionsResult Validate(string? name, AccountSettings settings)
    {
        var failures = new List<string>();
        Check(settings.ConfirmEmailTokenLifetime, nameof(AccountSettings.ConfirmEmailTokenLifetime), TimeSpan.FromDays(7));
        Check(settings.ResetPasswordTokenLifetime, nameof(AccountSettings.ResetPasswordTokenLifetime), TimeSpan.FromHours(24));
        Check(settings.ChangeEmailTokenLifetime, nameof(AccountSettings.ChangeEmailTokenLifetime), TimeSpan.FromDays(7));
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);

        void Check(TimeSpan lifetime, string setting, TimeSpan longest)
        {
            if (lifetime < TimeSpan.FromMinutes(1) || lifetime > longest)
            {
                failures.Add($"Auth:{setting} must be between 00:01:00 and {longest:c}.");
            }
        }
    }
}
