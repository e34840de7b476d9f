using Contoso.Auth_Api.Api.Email;

namespace Contoso.Auth_Api.Api.TwoFactor;

/// <summary>
/// The notices of two-factor changes, each added to the outbox in the caller's transaction (the generic "notice"
/// template): an owner who did not make the change learns of it and can act.
/// </summary>
public sealed class TwoFactorMail(EmailOutbox outbox)
{
    public const string Template = "notice";

    public void Enabled(string email) => Notice(email, "Two-factor sign-in is on",
        "Two-factor sign-in was turned on for your account. From now on, signing in asks for a code from your authenticator app. Keep your recovery codes somewhere safe. If you did not do this, reset your password and contact support.");

    public void Disabled(string email) => Notice(email, "Two-factor sign-in is off",
        "Two-factor sign-in was turned off for your account, and your other sessions were ended. If you did not do this, reset your password, turn two-factor sign-in on again and contact support.");

    public void DisabledByAdmin(string email) => Notice(email, "Two-factor sign-in was reset",
        "An administrator turned two-factor sign-in off for your account, and your sessions were ended. Sign in with your password and set up your authenticator app again. If you did not ask for this, contact support.");

    public void RecoveryCodesRenewed(string email) => Notice(email, "New recovery codes",
        "A new set of recovery codes was made for your account; the old codes no longer work. If you did not do this, reset your password and contact support.");

    public void SignedInWithRecoveryCode(string email, int codesLeft) => Notice(email, "Signed in with a recovery code",
        $"Someone signed in to your account with a recovery code; {codesLeft} unused codes are left. If it was you, consider making a new set. If it was not, reset your password and contact support.");

    private void Notice(string email, string title, string message) =>
        outbox.Add(email, Template, new Dictionary<string, string> { ["Title"] = title, ["Message"] = message });
}
