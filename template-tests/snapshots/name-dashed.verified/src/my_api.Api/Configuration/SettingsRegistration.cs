using Microsoft.Extensions.Options;

namespace my_api.Api.Configuration;

public static class SettingsRegistration
{
    /// <summary>
    /// Binds every typed settings class from configuration (appsettings, environment variables with <c>__</c> as the
    /// separator) and validates each at start-up, so that a bad setting stops the app before it serves anything.
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

        return services;
    }
}
