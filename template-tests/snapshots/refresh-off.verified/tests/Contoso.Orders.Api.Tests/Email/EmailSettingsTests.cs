using Contoso.Orders.Api.Email;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;

namespace Contoso.Orders.Api.Tests.Email;

/// <summary>The email settings' rules, and the template renderer, without an app.</summary>
public sealed class EmailSettingsTests
{
    private static EmailSettings Valid() => new()
    {
        From = "no-reply@example.com",
        Smtp = new SmtpSettings { Host = "smtp.example.com" },
        ConfirmEmailUrl = "https://app.example.com/confirm-email",
        ResetPasswordUrl = "https://app.example.com/reset-password",
    };

    [Fact]
    public void Valid_settings_pass_in_production()
    {
        Assert.Null(Validate(Valid(), Environments.Production));
    }

    [Theory]
    [InlineData("from-missing", "Email:From is not set")]
    [InlineData("from-invalid", "Email:From is not a valid email address")]
    [InlineData("host-missing", "Email:Smtp:Host is not set")]
    [InlineData("no-timeout", "Email:Smtp:Timeout must be between 00:00:01 and 00:05:00")]
    [InlineData("endless-timeout", "Email:Smtp:Timeout must be between 00:00:01 and 00:05:00")]
    [InlineData("password-without-user", "Email:Smtp:Username is not set")]
    [InlineData("placeholder-password", "Email:Smtp:Password is a placeholder")]
    [InlineData("http-link", "Email:ConfirmEmailUrl must use https outside Development")]
    [InlineData("relative-link", "Email:ResetPasswordUrl must be an absolute http(s) URL")]
    [InlineData("link-with-fragment", "Email:ConfirmEmailUrl must be an absolute http(s) URL without a fragment")]
    [InlineData("pickup", "Email:PickupDirectory is allowed only in Development")]
    [InlineData("no-limit", "Email:MaxPerAddressPerHour")]
    [InlineData("no-attempts", "Email:Sender:MaxAttempts")]
    [InlineData("backoff-inverted", "Email:Sender:MaxRetryDelay")]
    public void Outside_development_start_up_is_refused_when(string problem, string reason)
    {
        var settings = Valid();
        switch (problem)
        {
            case "from-missing": settings.From = null; break;
            case "from-invalid": settings.From = "not an address"; break;
            case "host-missing": settings.Smtp.Host = ""; break;
            case "no-timeout": settings.Smtp.Timeout = TimeSpan.Zero; break;
            case "endless-timeout": settings.Smtp.Timeout = TimeSpan.FromHours(1); break;
            case "password-without-user": settings.Smtp.Password = "smtp-secret-value"; break;
            case "placeholder-password": settings.Smtp.Username = "mailer"; settings.Smtp.Password = "change-me"; break;
            case "http-link": settings.ConfirmEmailUrl = "http://app.example.com/confirm"; break;
            case "relative-link": settings.ResetPasswordUrl = "/reset"; break;
            case "link-with-fragment": settings.ConfirmEmailUrl = "https://app.example.com/#/confirm"; break;
            case "pickup": settings.PickupDirectory = "mail-pickup"; break;
            case "no-limit": settings.MaxPerAddressPerHour = 0; break;
            case "no-attempts": settings.Sender.MaxAttempts = 0; break;
            case "backoff-inverted": settings.Sender.MaxRetryDelay = TimeSpan.FromSeconds(1); break;
        }

        var failure = Validate(settings, Environments.Production);

        Assert.Contains(reason, failure);
        Assert.DoesNotContain("smtp-secret-value", failure);
    }

    [Fact]
    public void Development_may_write_to_a_pickup_directory_without_an_smtp_server_and_link_to_plain_http()
    {
        var settings = Valid();
        settings.Smtp.Host = null;
        settings.PickupDirectory = "mail-pickup";
        settings.ConfirmEmailUrl = "http://localhost:3000/confirm-email";

        Assert.Null(Validate(settings, Environments.Development));
    }

    [Fact]
    public void Templates_fill_placeholders_encoding_values_in_html_only()
    {
        var rendered = new EmailTemplates().Render("notice", new Dictionary<string, string>
        {
            ["ProductName"] = "Shop",
            ["Title"] = "Two\nlines",
            ["Message"] = "<script>x</script> & more",
        });

        Assert.Equal("Shop: Two lines", rendered.Subject);
        Assert.Contains("<script>x</script> & more", rendered.Text);
        Assert.Contains("&lt;script&gt;x&lt;/script&gt; &amp; more", rendered.Html);
        Assert.DoesNotContain("{{", rendered.Text + rendered.Html);
    }

    [Fact]
    public void A_template_missing_a_value_or_unknown_is_refused_by_name()
    {
        var templates = new EmailTemplates();

        var missing = Assert.Throws<EmailTemplateException>(() => templates.Render("notice", new Dictionary<string, string> { ["Title"] = "t" }));
        Assert.Contains("{{", missing.Message);
        Assert.Throws<EmailTemplateException>(() => templates.Render("no-such-template", new Dictionary<string, string>()));
    }

    private static string? Validate(EmailSettings settings, string environment)
    {
        var result = new EmailSettingsValidator(new HostingEnvironment { EnvironmentName = environment }).Validate(null, settings);
        return result.Succeeded ? null : result.FailureMessage;
    }
}
