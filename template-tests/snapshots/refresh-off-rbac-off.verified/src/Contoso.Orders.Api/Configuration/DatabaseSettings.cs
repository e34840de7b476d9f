using System.Data.Common;
using Npgsql;

namespace Contoso.Orders.Api.Configuration;

/// <summary>Where the database is: <c>ConnectionStrings:Postgres</c>, or a <c>DATABASE_URL</c> in URL form.</summary>
public sealed class DatabaseSettings
{
    public const string ConnectionStringKey = "ConnectionStrings:Postgres";
    public const string DatabaseUrlKey = "DATABASE_URL";

    public string? ConnectionString { get; set; }

    public string? DatabaseUrl { get; set; }

    /// <summary>Seconds to wait for a connection when the connection string does not say (Npgsql's own default is 15).</summary>
    public const int DefaultConnectTimeoutSeconds = 5;

    /// <summary>The Npgsql connection string; valid only once the settings passed validation.</summary>
    public string ResolveConnectionString()
    {
        var configured = !string.IsNullOrWhiteSpace(ConnectionString)
            ? ConnectionString
            : PostgresUrl.TryParse(DatabaseUrl, out var fromUrl)
                ? fromUrl
                : throw new InvalidOperationException($"Neither {ConnectionStringKey} nor {DatabaseUrlKey} holds a usable value.");

        // Fail fast when the server does not answer, so that requests get a 503 within seconds instead of hanging.
        var given = new DbConnectionStringBuilder { ConnectionString = configured };
        if (given.ContainsKey(nameof(NpgsqlConnectionStringBuilder.Timeout)))
        {
            return configured;
        }

        return new NpgsqlConnectionStringBuilder(configured) { Timeout = DefaultConnectTimeoutSeconds }.ConnectionString;
    }
}
