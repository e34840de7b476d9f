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

    /// <summary>How many distinct statements each connection prepares on the server when the connection string does not say.</summary>
    public const int DefaultMaxAutoPrepare = 20;

    /// <summary>
    /// The Npgsql connection string; valid only once the settings passed validation. What the connection string does
    /// not say gets the app's defaults:
    /// <list type="bullet">
    /// <item>a 5 s connect timeout, so that requests get a 503 within seconds instead of hanging when the server does not answer;</item>
    /// <item>multiplexing, so that the statements of many concurrent requests share a few connections, and the server
    /// a few busy processes instead of one per request;</item>
    /// <item>automatic preparation of the few statements the app repeats (every request's user lookup among them),
    /// which spares the server parsing and planning them each time;</item>
    /// <item>no session reset when a connection goes back to the pool: the app keeps no session state on a connection,
    /// and the reset is server work on every request.</item>
    /// </list>
    /// </summary>
    public string ResolveConnectionString()
    {
        var configured = !string.IsNullOrWhiteSpace(ConnectionString)
            ? ConnectionString
            : PostgresUrl.TryParse(DatabaseUrl, out var fromUrl)
                ? fromUrl
                : throw new InvalidOperationException($"Neither {ConnectionStringKey} nor {DatabaseUrlKey} holds a usable value.");

        // Npgsql's own builder knows every keyword whether given or not; a plain one knows only those given.
        var given = new DbConnectionStringBuilder { ConnectionString = configured }.Keys.Cast<string>()
            .Select(Keyword)
            .ToHashSet(StringComparer.Ordinal);
        var resolved = new NpgsqlConnectionStringBuilder(configured);
        if (!given.Contains(Keyword(nameof(NpgsqlConnectionStringBuilder.Timeout))))
        {
            resolved.Timeout = DefaultConnectTimeoutSeconds;
        }

        if (!given.Contains(Keyword(nameof(NpgsqlConnectionStringBuilder.MaxAutoPrepare))))
        {
            resolved.MaxAutoPrepare = DefaultMaxAutoPrepare;
        }

        if (!given.Contains(Keyword(nameof(NpgsqlConnectionStringBuilder.NoResetOnClose))))
        {
            resolved.NoResetOnClose = true;
        }

        if (!given.Contains(Keyword(nameof(NpgsqlConnectionStringBuilder.Multiplexing))))
        {
            resolved.Multiplexing = true;
        }

        return resolved.ConnectionString;
    }

    /// <summary>A connection string keyword in one spelling: "Max Auto Prepare" and "maxautoprepare" are the same.</summary>
    private static string Keyword(string keyword) => keyword.Replace(" ", "", StringComparison.Ordinal).ToUpperInvariant();
}
