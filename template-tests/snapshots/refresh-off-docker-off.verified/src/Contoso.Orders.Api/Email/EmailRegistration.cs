using Contoso.Orders.Api.Configuration;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Options;

namespace Contoso.Orders.Api.Email;

public static class EmailRegistration
{
    /// <summary>
    /// Email through a PostgreSQL outbox: <see cref="EmailOutbox"/> queues in the caller's transaction,
    /// <see cref="EmailSender"/> sends in the background over SMTP (or, in Development, to a pickup directory), and
    /// features resolve their emails at send time with an <see cref="IEmailPreparer"/>.
    /// </summary>
    public static IServiceCollection AddEmail(this IServiceCollection services)
    {
        services.AddSettings<EmailSettings, EmailSettingsValidator>(EmailSettings.Section);
        services.AddSingleton<EmailTemplates>();
        services.AddScoped<EmailOutbox>();
        services.AddSingleton<EmailOutboxSignal>();
        services.AddSingleton<IInterceptor, EmailOutboxCommitInterceptor>();
        services.AddSingleton<IEmailTransport>(serviceProvider =>
            serviceProvider.GetRequiredService<IOptions<EmailSettings>>().Value.UsesPickupDirectory
                ? ActivatorUtilities.CreateInstance<PickupDirectoryEmailTransport>(serviceProvider)
                : ActivatorUtilities.CreateInstance<SmtpEmailTransport>(serviceProvider));
        services.AddHostedService<EmailSender>();
        return services;
    }
}
