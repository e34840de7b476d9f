using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Contoso.Orders.Api.Email;

/// <summary>How email goes out (section <c>Email</c>): the sender address, the SMTP server or, in Development only, a pickup directory.</summary>
public sealed class EmailSettings
{
    public const string Section = "Email";

    /// <summary>The sender address, e.g. <c>no-reply@example.com</c> or <c>Example &lt;no-reply@example.com&gt;</c>.</summary>
    public string? From { get; set; }

    /// <summary>The product's name as the emails show it.</summary>
    public string ProductName { get; set; } = "Contoso.Orders";

    public SmtpSettings Smtp { get; set; } = new();

    /// <summary>Development only: each email is written there as an .eml file instead of being sent.</summary>
    public string? PickupDirectory { get; set; }

    /// <summary>The page a confirmation link opens; the token goes in the URL fragment.</summary>
    public string? ConfirmEmailUrl { get; set; }

    /// <summary>The page a password-reset link opens; the token goes in the URL fragment.</summary>
    public string? ResetPasswordUrl { get; set; }

    /// <summary>Confirmation and reset emails one address may receive per hour; more requests answer alike and send nothing.</summary>
    public int MaxPerAddressPerHour { get; set; } = 3;

    public EmailSenderSettings Sender { get; set; } = new();

    [MemberNotNullWhen(true, nameof(PickupDirectory))]
    public bool UsesPickupDirectory => !string.IsNullOrWhiteSpace(PickupDirectory);
}

public enum SmtpSecurity
{
    /// <summary>Plain connection upgraded with STARTTLS, which the server must offer (port 587).</summary>
    StartTls,

    /// <summary>TLS from the first byte (port 465).</summary>
    SslOnConnect,

    /// <summary>No TLS at all: only for a server on the same host or network, such as a local mail catcher.</summary>
    None,
}

public sealed class SmtpSettings
{
    public string? Host { get; set; }

    public int Port { get; set; } = 587;

    public string? Username { get; set; }

    public string? Password { get; set; }

    public SmtpSecurity Security { get; set; } = SmtpSecurity.StartTls;

    /// <summary>
    /// Bounds every SMTP operation, so that a server that stops answering cannot hold a message (and its row lock)
    /// for long; once the app is stopping, a send in progress gets at most this much more. Keep it well under the
    /// host's shutdown timeout (30 s by default) so that the sender, not the host, ends a hung send and records it.
    /// </summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(20);
}

/// <summary>The background sender's knobs (<c>Email:Sender</c>).</summary>
public sealed class EmailSenderSettings
{
    /// <summary>How often the outbox is looked at when nothing woke the sender earlier.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Attempts before a message is given up as dead.</summary>
    public int MaxAttempts { get; set; } = 10;

    /// <summary>The wait after the first failure; each further failure doubles it, up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Days sent, skipped and dead messages are kept (they hold addresses) before they are deleted.</summary>
    public int RetentionDays { get; set; } = 7;
}

/// <summary>Failure messages name the setting, never its value: the SMTP password is a secret and addresses are personal data.</summary>
public sealed class EmailSettingsValidator(IHostEnvironment environment) : IValidateOptions<EmailSettings>
{
    private static readonly string[] PlaceholderMarkers = ["change-me", "changeme", "placeholder"];

    public ValidateOptionsResult Validate(string? name, EmailSettings settings)
    {
        var failures = new List<string>();
        var development = environment.IsDevelopment();

        if (string.IsNullOrWhiteSpace(settings.From))
        {
            failures.Add("Email:From is not set.");
        }
        else if (!MailboxAddress.TryParse(settings.From, out var from) || !from.Address.Contains('@', StringComparison.Ordinal))
        {
            failures.Add("Email:From is not a valid email address.");
        }

        if (string.IsNullOrWhiteSpace(settings.ProductName))
        {
            failures.Add("Email:ProductName is not set.");
        }

        if (settings.UsesPickupDirectory)
        {
            if (!development)
            {
                failures.Add("Email:PickupDirectory is allowed only in Development; outside it email goes out over SMTP (Email:Smtp:Host).");
            }
        }
        else if (string.IsNullOrWhiteSpace(settings.Smtp.Host))
        {
            failures.Add("Email:Smtp:Host is not set.");
        }

        if (settings.Smtp.Port is < 1 or > 65_535)
        {
            failures.Add("Email:Smtp:Port must be between 1 and 65535.");
        }

        if (!Enum.IsDefined(settings.Smtp.Security))
        {
            failures.Add("Email:Smtp:Security must be StartTls, SslOnConnect or None.");
        }

        if (settings.Smtp.Timeout < TimeSpan.FromSeconds(1) || settings.Smtp.Timeout > TimeSpan.FromMinutes(5))
        {
            failures.Add("Email:Smtp:Timeout must be between 00:00:01 and 00:05:00.");
        }

        if (string.IsNullOrEmpty(settings.Smtp.Username) && !string.IsNullOrEmpty(settings.Smtp.Password))
        {
            failures.Add("Email:Smtp:Username is not set although Email:Smtp:Password is.");
        }
        else if (PlaceholderMarkers.Any(marker => settings.Smtp.Password?.Contains(marker, StringComparison.OrdinalIgnoreCase) == true))
        {
            failures.Add("Email:Smtp:Password is a placeholder (.env.example holds only placeholders).");
        }

        AddLinkProblem(failures, "Email:ConfirmEmailUrl", settings.ConfirmEmailUrl, development);
        AddLinkProblem(failures, "Email:ResetPasswordUrl", settings.ResetPasswordUrl, development);

        if (settings.MaxPerAddressPerHour is < 1 or > 100)
        {
            failures.Add("Email:MaxPerAddressPerHour must be between 1 and 100.");
        }

        var sender = settings.Sender;
        if (sender.PollInterval < TimeSpan.FromMilliseconds(50) || sender.PollInterval > TimeSpan.FromHours(1))
        {
            failures.Add("Email:Sender:PollInterval must be between 00:00:00.050 and 01:00:00.");
        }

        if (sender.MaxAttempts is < 1 or > 100)
        {
            failures.Add("Email:Sender:MaxAttempts must be between 1 and 100.");
        }

        if (sender.FirstRetryDelay < TimeSpan.FromMilliseconds(10) || sender.FirstRetryDelay > TimeSpan.FromDays(1))
        {
            failures.Add("Email:Sender:FirstRetryDelay must be between 00:00:00.010 and 1.00:00:00.");
        }

        if (sender.MaxRetryDelay < sender.FirstRetryDelay || sender.MaxRetryDelay > TimeSpan.FromDays(1))
        {
            failures.Add("Email:Sender:MaxRetryDelay must be at least Email:Sender:FirstRetryDelay and at most 1.00:00:00.");
        }

        if (sender.RetentionDays is < 1 or > 365)
        {
            failures.Add("Email:Sender:RetentionDays must be between 1 and 365.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Links are absolute (never built from a request's Host header), HTTPS outside Development, without a fragment (the token goes there).</summary>
    private static void AddLinkProblem(List<string> failures, string setting, string? value, bool development)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            failures.Add($"{setting} is not set.");
        }
        else if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Fragment.Length > 0)
        {
            failures.Add($"{setting} must be an absolute http(s) URL without a fragment.");
        }
        else if (uri.Scheme != "https" && !development)
        {
            failures.Add($"{setting} must use https outside Development.");
        }
    }
}
