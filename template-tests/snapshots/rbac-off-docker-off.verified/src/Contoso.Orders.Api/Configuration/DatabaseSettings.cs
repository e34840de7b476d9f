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
    /// <item>no multiplexing for callers that run synchronous commands, which multiplexing refuses
    /// (<paramref name="synchronous"/>: EF Core's design-time tools, Data Protection's key store), even where the
    /// connection string turns it on. It is off unless the connection string says otherwise: a multiplexing data
    /// source opens connections one at a time, each command waiting its turn, so that while the server does not
    /// answer the n-th concurrent request waits n connect timeouts for its 503 instead of one;</item>
    /// <item>automatic preparation of the few statements the app repeats (every request's user lookup among them),
    /// which spares the server parsing and planning them each time;</item>
    /// <item>no session reset when a connection goes back to the pool: the app keeps no session state on a connection,
    /// and the reset is server work on every request.</item>
    /// </list>
    /// </summary>
    public string ResolveConnectionString(bool synchronous = false)
    {
        var configured = !string.IsNullOrWhiteSpace(ConnectionString)
            ? ConnectionString
            : PostgresUrl.TryParse(DatabaseUrl, out var fromUrl)
                ? fromUrl
                : throw new InvalidOperationException($"Neither {ConnectionStringKey} nor {DatabaseUrlKey} holds a usable value.");

        // Npgsql's own builder knows every keyword whether given or not; a plain one knows only those given, in the
        // spelling given ("Max Auto Prepare" or "maxautoprepare"), so both sides are compared without spaces or case.
        var given = new DbConnectionStringBuilder { ConnectionString = configured }.Keys.Cast<string>()
            .Select(Keyword)
            .ToHashSet(StringComparer.Ordinal);
        bool Says(string property) => given.Contains(Keyword(property));

        var resolved = new NpgsqlConnectionStringBuilder(configured);
        if (!Says(nameof(resolved.Timeout)))
        {
            resolved.Timeout = DefaultConnectTimeoutSeconds;
        }

        if (synchronous)
        {
            resolved.Multiplexing = false;
        }

        if (!Says(nameof(resolved.MaxAutoPrepare)))
        {
            resolved.MaxAutoPrepare = DefaultMaxAutoPrepare;
        }

        if (!Says(nameof(resolved.NoResetOnClose)))
        {
            resolved.NoResetOnClose = true;
        }

        return resolved.ConnectionString;
    }

    private static string Keyword(string keyword) => keyword.Replace(" ", "", StringComparison.Ordinal).ToUpperInvariant();
}
