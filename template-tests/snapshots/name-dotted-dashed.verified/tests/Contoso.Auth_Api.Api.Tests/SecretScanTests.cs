using Contoso.Auth_Api.Api.Tests.Infrastructure;

namespace Contoso.Auth_Api.Api.Tests;

/// <summary>
/// The log scan itself: it must stay quiet about a database password that is also the user name (the README's and the
/// CI workflow's <c>postgres</c>/<c>postgres</c>), and still catch that password wherever it is logged as a password.
/// </summary>
public sealed class SecretScanTests
{
    private const string ReadmeServer = "Host=localhost;Port=5432;Username=postgres;Password=postgres";

    private static readonly string OrdinaryLog =
        "info: Npgsql: Opened connection to database 'postgres' on server 'tcp://localhost:5432' as user postgres\n" +
        "warn: Database 'postgres' on server 'tcp://localhost:5432' is ready (postgres 17)";

    [Fact]
    public void A_database_password_that_is_also_the_user_name_is_not_found_where_it_names_the_user()
    {
        var secret = Secret.OfDatabase(ReadmeServer)!;

        Assert.True(secret.OnlyWhereAPasswordGoes);
        Assert.False(secret.AppearsIn(OrdinaryLog));
    }

    [Theory]
    [InlineData("Connecting with Host=localhost;Username=postgres;Password=postgres;Database=app")]
    [InlineData("Connecting with Host=localhost;Username=postgres;PASSWORD = postgres")]
    [InlineData("Connecting to postgres://postgres:postgres@localhost:5432/app")]
    [InlineData("{\"user\": \"postgres\", \"password\": \"postgres\"}")]
    [InlineData("pwd='postgres'")]
    public void That_password_is_found_wherever_it_is_logged_as_a_password(string leak)
    {
        var secret = Secret.OfDatabase(ReadmeServer)!;

        Assert.True(secret.AppearsIn(OrdinaryLog + "\n" + leak));
    }

    [Fact]
    public void A_database_password_that_is_no_ordinary_word_is_found_anywhere()
    {
        var secret = Secret.OfDatabase("Host=localhost;Username=app;Password=Zq8-rT2-vLp9;Database=app")!;

        Assert.False(secret.OnlyWhereAPasswordGoes);
        Assert.True(secret.AppearsIn("retrying after Zq8-rT2-vLp9 was refused"));
    }

    [Fact]
    public void The_run_looks_for_the_readme_password_only_where_a_password_goes_and_for_other_secrets_anywhere()
    {
        TestRun.RememberDatabasePassword(ReadmeServer);
        TestRun.RememberSecret("a-token-made-for-this-test-" + Guid.NewGuid().ToString("N"));

        Assert.Contains(TestRun.Secrets, secret => secret is { Value: "postgres", OnlyWhereAPasswordGoes: true });
        Assert.Contains(TestRun.Secrets, secret => secret is { OnlyWhereAPasswordGoes: false } && secret.Value.StartsWith("a-token-made-for-this-test-", StringComparison.Ordinal));
    }
}
