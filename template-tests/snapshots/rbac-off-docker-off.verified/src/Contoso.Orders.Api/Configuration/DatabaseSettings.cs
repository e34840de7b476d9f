namespace Contoso.Orders.Api.Configuration;

/// <summary>Where the database is: <c>ConnectionStrings:Postgres</c>, or a <c>DATABASE_URL</c> in URL form.</summary>
public sealed class DatabaseSettings
{
    public const string ConnectionStringKey = "ConnectionStrings:Postgres";
    public const string DatabaseUrlKey = "DATABASE_URL";

    public string? ConnectionString { get; set; }

    public string? DatabaseUrl { get; set; }

    /// <summary>The Npgsql connection string; valid only once the settings passed validation.</summary>
    public string ResolveConnectionString()
    {
        if (!string.IsNullOrWhiteSpace(ConnectionString))
        {
            return ConnectionString;
        }

        return PostgresUrl.TryParse(DatabaseUrl, out var connectionString)
            ? connectionString
            : throw new InvalidOperationException($"Neither {ConnectionStringKey} nor {DatabaseUrlKey} holds a usable value.");
    }
}
