using Contoso.Orders.Api.Email;

namespace Contoso.Orders.Api.Passkeys;

/// <summary>
/// The notices of passkey changes, each added to the outbox in the caller's transaction (the generic "notice"
/// template): an owner who did not make the change learns of it and can act.
/// </summary>
public sealed class PasskeyMail(EmailOutbox outbox)
{
    public const string Template = "notice";

    public void Added(string email, string name) => Notice(email, "A passkey was added",
        $"A passkey named \"{name}\" was added to your account; it can sign in without your password. If you did not do this, remove it, reset your password and contact support.");

    public void Removed(string email, string name) => Notice(email, "A passkey was removed",
        $"The passkey named \"{name}\" was removed from your account and can no longer sign in. If you did not do this, reset your password and contact support.");

    public void CounterRefused(string email, string name) => Notice(email, "A sign-in with your passkey was refused",
        $"A sign-in with the passkey named \"{name}\" was refused because its signature counter went backwards: a copy of the passkey may be in use somewhere else. If you did not expect this, remove the passkey, reset your password and contact support.");

    private void Notice(string email, string title, string message) =>
        outbox.Add(email, Template, new Dictionary<string, string> { ["Title"] = title, ["Message"] = message });
}
