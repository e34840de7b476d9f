using System.Globalization;
using Contoso.Orders.Api.Data;
using Contoso.Orders.Api.Domain;
using Contoso.Orders.Api.Email;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Contoso.Orders.Api.Account;

/// <summary>
/// Run by the email sender at send time, inside the message's transaction: each looks up the account the email is
/// for, makes its token, and returns the values the template shows (the link and the token), or null to send
/// nothing (no such account, nothing to confirm, or the address had its share of emails this hour). Whatever they
/// write commits only if the email is sent.
/// </summary>
public sealed class AccountEmailPreparers(AppDbContext db, AccountTokenStore tokens, IOptions<EmailSettings> email)
{
    /// <summary>Only for an active account whose address is not confirmed yet.</summary>
    public async Task<IReadOnlyDictionary<string, string>?> ConfirmationAsync(string recipient, CancellationToken cancellationToken)
    {
        var user = await FindActiveAsync(recipient, cancellationToken);
        return user is { EmailConfirmed: false }
            ? await IssueAsync(user.Id, AccountTokenPurpose.ConfirmEmail, recipient, email.Value.ConfirmEmailUrl!, cancellationToken)
            : null;
    }

    /// <summary>Only for an active account.</summary>
    public async Task<IReadOnlyDictionary<string, string>?> PasswordResetAsync(string recipient, CancellationToken cancellationToken)
    {
        var user = await FindActiveAsync(recipient, cancellationToken);
        return user is not null
            ? await IssueAsync(user.Id, AccountTokenPurpose.ResetPassword, recipient, email.Value.ResetPasswordUrl!, cancellationToken)
            : null;
    }

    /// <summary>Only while the account is active and no other account took the new address meanwhile.</summary>
    public async Task<IReadOnlyDictionary<string, string>?> EmailChangeAsync(
        string recipient, IReadOnlyDictionary<string, string> values, CancellationToken cancellationToken)
    {
        if (!values.TryGetValue(AccountMail.UserIdValue, out var id) || !Guid.TryParse(id, out var userId))
        {
            return null;
        }

        var normalizedEmail = EmailAddress.Normalize(recipient);
        var active = await db.Users.AnyAsync(u => u.Id == userId && u.IsActive, cancellationToken);
        var taken = await db.Users.AnyAsync(u => u.NormalizedEmail == normalizedEmail, cancellationToken);
        return active && !taken
            ? await IssueAsync(userId, AccountTokenPurpose.ChangeEmail, recipient, email.Value.ConfirmEmailUrl!, cancellationToken)
            : null;
    }

    private Task<User?> FindActiveAsync(string recipient, CancellationToken cancellationToken)
    {
        var normalizedEmail = EmailAddress.Normalize(recipient);
        return db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.NormalizedEmail == normalizedEmail && u.IsActive, cancellationToken);
    }

    private async Task<IReadOnlyDictionary<string, string>?> IssueAsync(
        Guid userId, AccountTokenPurpose purpose, string recipient, string pageUrl, CancellationToken cancellationToken)
    {
        // Counted here rather than when the request came in: a request never learns whether an email went out.
        if (await tokens.CountSentToAsync(recipient, cancellationToken) >= email.Value.MaxPerAddressPerHour)
        {
            return null;
        }

        var token = await tokens.IssueAsync(userId, purpose, recipient, cancellationToken);
        return new Dictionary<string, string>
        {
            // In the fragment, which browsers send to no server: not to the front end's host, not in a Referer.
            ["Link"] = $"{pageUrl}#token={token}",
            ["Token"] = token,
            ["ValidFor"] = Describe(tokens.LifetimeOf(purpose)),
        };
    }

    private static string Describe(TimeSpan lifetime) => lifetime.TotalHours >= 1 && lifetime.TotalHours == Math.Floor(lifetime.TotalHours)
        ? string.Create(CultureInfo.InvariantCulture, $"{lifetime.TotalHours:0} hour{(lifetime.TotalHours == 1 ? "" : "s")}")
        : string.Create(CultureInfo.InvariantCulture, $"{lifetime.TotalMinutes:0} minutes");
}

public static class AccountEmailPreparerRegistration
{
    public static IServiceCollection AddAccountEmailPreparers(this IServiceCollection services) =>
        services.AddScoped<AccountEmailPreparers>()
            .AddScoped<IEmailPreparer, ConfirmationPreparer>()
            .AddScoped<IEmailPreparer, PasswordResetPreparer>()
            .AddScoped<IEmailPreparer, EmailChangePreparer>();

    private sealed class ConfirmationPreparer(AccountEmailPreparers preparers) : IEmailPreparer
    {
        public string Template => AccountMail.ConfirmEmail;

        public Task<IReadOnlyDictionary<string, string>?> PrepareAsync(EmailOutboxMessage message, CancellationToken cancellationToken) =>
            preparers.ConfirmationAsync(message.Recipient, cancellationToken);
    }

    private sealed class PasswordResetPreparer(AccountEmailPreparers preparers) : IEmailPreparer
    {
        public string Template => AccountMail.ResetPassword;

        public Task<IReadOnlyDictionary<string, string>?> PrepareAsync(EmailOutboxMessage message, CancellationToken cancellationToken) =>
            preparers.PasswordResetAsync(message.Recipient, cancellationToken);
    }

    private sealed class EmailChangePreparer(AccountEmailPreparers preparers) : IEmailPreparer
    {
        public string Template => AccountMail.ConfirmEmailChange;

        public Task<IReadOnlyDictionary<string, string>?> PrepareAsync(EmailOutboxMessage message, CancellationToken cancellationToken) =>
            preparers.EmailChangeAsync(message.Recipient, message.Values, cancellationToken);
    }
}
