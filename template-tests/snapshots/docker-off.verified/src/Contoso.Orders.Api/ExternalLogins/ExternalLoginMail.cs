using Contoso.Orders.Api.Email;

namespace Contoso.Orders.Api.ExternalLogins;

/// <summary>
/// The notices of linked and unlinked providers, each added to the outbox in the caller's transaction (the generic
/// "notice" template): a link is a new way into the account, and its owner must hear of it.
/// </summary>
public sealed class ExternalLoginMail(EmailOutbox outbox)
{
    public const string Template = "notice";

    public void Linked(string email, string provider) => Notice(email, $"{provider} can now sign in to your account",
        $"Your {provider} account was linked to your account here; it can sign in without your password. If you did not do this, unlink it, reset your password and contact support.");

    public void Unlinked(string email, string provider) => Notice(email, $"{provider} was unlinked from your account",
        $"Your {provider} account was unlinked and can no longer sign in to your account here. If you did not do this, reset your password and contact support.");

    private void Notice(string email, string title, string message) =>
        outbox.Add(email, Template, new Dictionary<string, string> { ["Title"] = title, ["Message"] = message });
}
