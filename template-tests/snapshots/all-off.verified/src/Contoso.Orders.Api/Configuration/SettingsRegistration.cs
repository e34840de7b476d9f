using Microsoft.Extensions.Options;

namespace Contoso.Orders.Api.Configuration;

public static class SettingsRegistration
{
    /// <summary>
    /// Binds every typed settings class from configuration (appsettings, then environment variables with <c>__</c> as
    /// the section separator) and validates each at start-up, so that a bad setting stops the app before it serves.
    /// </summary>
    public static IServiceCollection AddValidatedSettings(this IServiceCollection services)
    {
        services.AddOptions<DatabaseSettings>()
            .Configure<IConfiguration>((settings, configuration) =>
            {
                settings.ConnectionString = configuration[DatabaseSettings.ConnectionStringKey];
                settings.DatabaseUrl = configuration[DatabaseSettings.DatabaseUrlKey];
            })
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<DatabaseSettings>, DatabaseSettingsValidator>();

        services.AddSettings<JwtSettings, JwtSettingsValidator>(JwtSettings.Section);
        services.AddSettings<AuthSettings, AuthSettingsValidator>(AuthSettings.Section);
        services.AddSettings<RateLimitingSettings, RateLimitingSettingsValidator>(RateLimitingSettings.Section);
        services.AddSettings<CorsSettings, CorsSettingsValidator>(CorsSettings.Section);

        return services;
    }

    public static IServiceCollection AddSettings<TSettings, TValidator>(this IServiceCollection services, string section)
        where TSettings : class
        where TValidator : class, IValidateOptions<TSettings>
    {
        services.AddOptions<TSettings>().BindConfiguration(section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TSettings>, TValidator>();
        return services;
    }
}
