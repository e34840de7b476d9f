using Contoso.Orders.Api.Configuration;

namespace Contoso.Orders.Api.Passwords;

public static class PasswordRegistration
{
    public static IServiceCollection AddPasswordPolicy(this IServiceCollection services)
    {
        services.AddSettings<PasswordSettings, PasswordSettingsValidator>(PasswordSettings.Section);
        // The URL of each check holds five characters of a password's hash: not for the logs.
        services.AddHttpClient(BreachedPasswords.HttpClientName).RemoveAllLoggers();
        services.AddSingleton<BreachedPasswords>();
        services.AddSingleton<PasswordPolicy>();
        return services;
    }
}
