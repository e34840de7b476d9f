using System.Text.RegularExpressions;
using Npgsql;

namespace Contoso.Orders.Api.Tests.Infrastructure;

/// <summary>
/// A value that must never appear in a log. Most secrets are random, and are looked for anywhere. A database password
/// can also be an ordinary word of the run: with the <c>postgres</c>/<c>postgres</c> credentials that most READMEs and
/// CI services use, it is also the user name, which any log of a PostgreSQL app names. Such a password is looked for
/// only where a password goes: after a password key (<c>Password=</c>, <c>"password": "</c>) or in a URL's user
/// information (<c>user:password@host</c>).
/// </summary>
public sealed record Secret(string Value, bool OnlyWhereAPasswordGoes = false)
{
    /// <summary>The password of a connection string, looked for only where a password goes when it is also the user, database or host name.</summary>
    public static Secret? OfDatabase(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (string.IsNullOrEmpty(builder.Password))
        {
            return null;
        }

        var ordinaryWords = new[] { builder.Username, builder.Database, builder.Host };
        return new Secret(builder.Password, ordinaryWords.Contains(builder.Password, StringComparer.OrdinalIgnoreCase));
    }

    public bool AppearsIn(string logs) => OnlyWhereAPasswordGoes
        ? new Regex($"""(?i:pass(?:word)?|pwd)["']?\s*[=:]\s*["']?{Regex.Escape(Value)}(?=$|[;,&"'\s])|:{Regex.Escape(Value)}@""", RegexOptions.CultureInvariant).IsMatch(logs)
        : logs.Contains(Value, StringComparison.Ordinal);

    /// <summary>The first characters only: enough to tell which secret leaked without writing it to the test output.</summary>
    public override string ToString() => $"a secret starting with '{Value[..Math.Min(4, Value.Length)]}'";
}
