using System.Diagnostics.CodeAnalysis;
using Npgsql;

namespace Contoso.Orders.Api.Configuration;

/// <summary>
/// Turns a <c>postgres://user:password@host:port/database?sslmode=require</c> URL, the form most hosting platforms
/// hand out, into an Npgsql connection string.
/// </summary>
public static class PostgresUrl
{
    public static bool TryParse(string? url, [NotNullWhen(true)] out string? connectionString)
    {
        connectionString = null;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri)
            || uri.Scheme is not ("postgres" or "postgresql")
            || string.IsNullOrEmpty(uri.Host))
        {
            return false;
        }

        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        var userInfo = uri.UserInfo.Split(':', 2);
        if (database.Length == 0 || userInfo[0].Length == 0)
        {
            return false;
        }

        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port < 0 ? 5432 : uri.Port,
            Database = database,
            Username = Uri.UnescapeDataString(userInfo[0]),
        };
        if (userInfo.Length == 2)
        {
            builder.Password = Uri.UnescapeDataString(userInfo[1]);
        }

        foreach (var (key, value) in QueryParameters(uri.Query))
        {
            if (key.Equals("sslmode", StringComparison.OrdinalIgnoreCase))
            {
                if (!Enum.TryParse<SslMode>(value.Replace("-", "", StringComparison.Ordinal), ignoreCase: true, out var sslMode))
                {
                    return false;
                }

                builder.SslMode = sslMode;
            }
        }

        connectionString = builder.ConnectionString;
        return true;
    }

    private static IEnumerable<(string Key, string Value)> QueryParameters(string query) =>
        query.TrimStart('?')
            .Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('=', 2))
            .Select(parts => (Uri.UnescapeDataString(parts[0]), parts.Length == 2 ? Uri.UnescapeDataString(parts[1]) : ""));
}
