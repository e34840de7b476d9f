using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using AuthTemplate.Api.Tests.Infrastructure;
using Npgsql;

namespace AuthTemplate.Api.Tests;

public sealed class CommandLineTests : IClassFixture<CommandLineTests.Finished>
{
    public const string Group = "command-line";

    public sealed class Finished() : FinishedMarker(Group);

    [Fact]
    public async Task Migrate_applies_every_migration_to_an_empty_database_and_is_idempotent()
    {
        await using var database = await TestDatabase.CreateAsync();
        var environment = Production(("ConnectionStrings__Postgres", database.ConnectionString));

        var first = await ApiProcess.RunAsync(environment, "migrate");
        var second = await ApiProcess.RunAsync(environment, "migrate");

        Assert.True(first.ExitCode == 0, first.StandardError + first.StandardOutput);
        Assert.True(second.ExitCode == 0, second.StandardError + second.StandardOutput);
        Assert.True(await CountAppliedMigrationsAsync(database.ConnectionString) > 0);
    }

    [Fact]
    public async Task Migrate_accepts_a_DATABASE_URL()
    {
        await using var database = await TestDatabase.CreateAsync();
        var server = new NpgsqlConnectionStringBuilder(database.ConnectionString);
        var url = $"postgres://{Uri.EscapeDataString(server.Username!)}:{Uri.EscapeDataString(server.Password ?? "")}@{server.Host}:{server.Port}/{database.Name}";

        var result = await ApiProcess.RunAsync(Production(("DATABASE_URL", url)), "migrate");

        Assert.True(result.ExitCode == 0, result.StandardError + result.StandardOutput);
        Assert.True(await CountAppliedMigrationsAsync(database.ConnectionString) > 0);
    }

    [Fact]
    public async Task Start_up_stops_with_one_line_naming_a_missing_database_setting()
    {
        var result = await ApiProcess.RunAsync(Production());

        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(Lines(result.StandardError));
        Assert.Contains("ConnectionStrings:Postgres", line);
    }

    [Fact]
    public async Task Start_up_names_an_invalid_DATABASE_URL_without_echoing_its_value()
    {
        var result = await ApiProcess.RunAsync(Production(("DATABASE_URL", "mysql://app:hunter2-secret@db/app")), "migrate");

        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(Lines(result.StandardError));
        Assert.Contains("DATABASE_URL", line);
        Assert.DoesNotContain("hunter2-secret", result.StandardError + result.StandardOutput);
    }

    /// <summary>The validator's every rule is in SettingsValidationTests; this shows start-up applies them.</summary>
    [Fact]
    public async Task Start_up_refuses_the_development_signing_key_outside_development_without_echoing_it()
    {
        const string key = "dev-only-0123456789abcdef0123456789abcdef0123456789abcdef";
        const string reason = "Development-only";
        await using var database = await TestDatabase.CreateAsync();
        var environment = Production(("ConnectionStrings__Postgres", database.ConnectionString));
        environment["Jwt__SigningKey"] = key;

        var result = await ApiProcess.RunAsync(environment, "migrate");

        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(Lines(result.StandardError));
        Assert.Contains("Jwt:SigningKey", line);
        Assert.Contains(reason, line);
        Assert.DoesNotContain(key, result.StandardError + result.StandardOutput);
    }

    [Fact]
    public async Task Start_up_refuses_a_cheap_bcrypt_work_factor_in_production()
    {
        await using var database = await TestDatabase.CreateAsync();

        var result = await ApiProcess.RunAsync(
            Production(("ConnectionStrings__Postgres", database.ConnectionString), ("Auth__BcryptWorkFactor", "9")), "migrate");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Auth:BcryptWorkFactor", Assert.Single(Lines(result.StandardError)));
    }

    [Fact]
    public async Task Start_up_names_a_setting_that_is_not_a_number_without_echoing_it()
    {
        await using var database = await TestDatabase.CreateAsync();

        var result = await ApiProcess.RunAsync(
            Production(("ConnectionStrings__Postgres", database.ConnectionString), ("Jwt__AccessTokenMinutes", "fifteen-secret")), "migrate");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Jwt:AccessTokenMinutes", Assert.Single(Lines(result.StandardError)));
        Assert.DoesNotContain("fifteen-secret", result.StandardError + result.StandardOutput);
    }

    [Fact]
    public async Task Healthcheck_exits_0_while_the_running_api_is_ready_and_1_when_nothing_answers()
    {
        await using var database = await TestDatabase.CreateAsync();
        var port = FreePort();
        var environment = Production(("ConnectionStrings__Postgres", database.ConnectionString), ("ASPNETCORE_URLS", string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}")));
        Assert.Equal(0, (await ApiProcess.RunAsync(environment, "migrate")).ExitCode);
        var nothingListening = await ApiProcess.RunAsync(environment, "healthcheck");

        using var server = ApiProcess.Start(environment);
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            ApiProcess.Result check;
            do
            {
                check = await ApiProcess.RunAsync(environment, "healthcheck");
            }
            while (check.ExitCode != 0 && DateTime.UtcNow < deadline && !server.HasExited);

            Assert.Equal(1, nothingListening.ExitCode);
            Assert.True(check.ExitCode == 0, check.StandardOutput + check.StandardError);
            Assert.Contains($"127.0.0.1:{port}/health/ready: 200", check.StandardOutput);
        }
        finally
        {
            server.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public async Task An_unknown_command_exits_2_and_lists_the_commands()
    {
        await using var database = await TestDatabase.CreateAsync();

        var result = await ApiProcess.RunAsync(Production(("ConnectionStrings__Postgres", database.ConnectionString)), "migrat");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("migrate", result.StandardError);
    }

    [Theory]
    [InlineData("Email__Smtp__Host", "Email:Smtp:Host is not set")]
    [InlineData("Email__From", "Email:From is not set")]
    [InlineData("Email__ConfirmEmailUrl", "Email:ConfirmEmailUrl is not set")]
    public async Task Start_up_stops_with_one_line_naming_a_missing_email_setting(string missing, string reason)
    {
        var environment = Production(("ConnectionStrings__Postgres", "Host=127.0.0.1;Database=unused"));
        environment.Remove(missing);

        var result = await ApiProcess.RunAsync(environment);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(reason, Assert.Single(Lines(result.StandardError)));
    }

    [Fact]
    public async Task Start_up_refuses_a_pickup_directory_outside_development()
    {
        var result = await ApiProcess.RunAsync(
            Production(("ConnectionStrings__Postgres", "Host=127.0.0.1;Database=unused"), ("Email__PickupDirectory", "/tmp/mail-secret-dir")));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Email:PickupDirectory is allowed only in Development", Assert.Single(Lines(result.StandardError)));
        Assert.DoesNotContain("mail-secret-dir", result.StandardError + result.StandardOutput);
    }

    /// <summary>A production environment with a valid signing key and email settings, plus the given settings.</summary>
    private static Dictionary<string, string?> Production(params (string Key, string Value)[] settings)
    {
        var environment = ApiProcess.AsEnvironment(ApiFactory.EmailSettings);
        environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        environment["Jwt__SigningKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));
        environment["Email__Smtp__Host"] = "smtp.example.com";
        foreach (var (key, value) in settings)
        {
            environment[key] = value;
        }

        return environment;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static async Task<long> CountAppliedMigrationsAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM \"__EFMigrationsHistory\"", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
