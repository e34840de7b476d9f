using AuthTemplate.Api.Email;

namespace AuthTemplate.Api.Account;

/// <summary>
/// The emails of the account flows, each added to the outbox in the caller's transaction. Those that carry a token
/// name only their recipient here: the token is made at send time by the template's preparer
/// (<see cref="AccountEmailPreparers"/>), which also decides whether there is an account to send it to. So a
/// request does the same work whether or not the address has an account, and no token is ever written anywhere
/// in plain text.
/// </summary>
public sealed class AccountMail(EmailOutbox outbox)
{
    public const string ConfirmEmail = "confirm-email";
    public const string ResetPassword = "reset-password";
    public const string ConfirmEmailChange = "confirm-email-change";
    public const string RegistrationAttempt = "registration-attempt";
    public const string EmailInUse = "email-in-use";
    public const string EmailChangeRequested = "email-change-requested";
    public const string EmailChanged = "email-changed";
    public const string PasswordChanged = "password-changed";
    public const string AccountDeleted = "account-deleted";

    /// <summary>The value that carries the account's id to the preparer of <see cref="ConfirmEmailChange"/>.</summary>
    public const string UserIdValue = "UserId";

    public const string NewEmailValue = "NewEmail";

    private static readonly IReadOnlyDictionary<string, string> NoValues = new Dictionary<string, string>();

    /// <summary>A confirmation link, if the address belongs to an active account that is not confirmed yet.</summary>
    public void Confirmation(string email) => outbox.Add(email.Trim(), ConfirmEmail, NoValues);

    /// <summary>A reset link, if the address belongs to an active account.</summary>
    public void PasswordReset(string email) => outbox.Add(email.Trim(), ResetPassword, NoValues);

    /// <summary>To the owner of an address someone tried to register again.</summary>
    public void RegistrationAttemptNotice(string ownerEmail) => outbox.Add(ownerEmail, RegistrationAttempt, NoValues);

    /// <summary>A link that moves the account to the new address once the new address's owner follows it.</summary>
    public void EmailChangeConfirmation(Guid userId, string newEmail) =>
        outbox.Add(newEmail.Trim(), ConfirmEmailChange, new Dictionary<string, string> { [UserIdValue] = userId.ToString() });

    /// <summary>To the holder of an address another account asked to move to.</summary>
    public void EmailInUseNotice(string holderEmail) => outbox.Add(holderEmail, EmailInUse, NoValues);

    public void EmailChangeRequestedNotice(string currentEmail, string newEmail) =>
        outbox.Add(currentEmail, EmailChangeRequested, new Dictionary<string, string> { [NewEmailValue] = newEmail.Trim() });

    public void EmailChangedNotice(string oldEmail, string newEmail) =>
        outbox.Add(oldEmail, EmailChanged, new Dictionary<string, string> { [NewEmailValue] = newEmail });

    public void PasswordChangedNotice(string email) => outbox.Add(email, PasswordChanged, NoValues);

    /// <summary>To the address of an account just deleted: the one email about it that is kept.</summary>
    public void AccountDeletedNotice(string email) => outbox.Add(email, AccountDeleted, NoValues);
}
