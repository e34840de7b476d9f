using Microsoft.Extensions.Options;
using Npgsql;

namespace Contoso.Orders.Api.Configuration;

/// <summary>Failure messages name the setting, never its value: connection strings carry passwords.</summary>
public sealed class DatabaseSettingsValidator : IValidateOptions<DatabaseSettings>
{
    public ValidateOptionsResult Validate(string? name, DatabaseSettings options)
    {
        if (!string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            return IsValidConnectionString(options.ConnectionString)
                ? ValidateOptionsResult.Success
                : ValidateOptionsResult.Fail($"{DatabaseSettings.ConnectionStringKey} is not a valid PostgreSQL connection string.");
        }

        if (!string.IsNullOrWhiteSpace(options.DatabaseUrl))
        {
            return PostgresUrl.TryParse(options.DatabaseUrl, out _)
                ? ValidateOptionsResult.Success
                : ValidateOptionsResult.Fail($"{DatabaseSettings.DatabaseUrlKey} is not a valid postgres://user:password@host:port/database URL.");
        }

        return ValidateOptionsResult.Fail($"{DatabaseSettings.ConnectionStringKey} (or {DatabaseSettings.DatabaseUrlKey}) is not set.");
    }

    private static bool IsValidConnectionString(string value)
    {
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(value);
            return !string.IsNullOrWhiteSpace(builder.Host);
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
