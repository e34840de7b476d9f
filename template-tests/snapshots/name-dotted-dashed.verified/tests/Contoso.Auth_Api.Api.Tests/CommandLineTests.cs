using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Contoso.Auth_Api.Api.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Contoso.Auth_Api.Api.Tests;

[Collection(CommandCollection.Name)]
public sealed class CommandLineTests
{
    /// <summary>
    /// The first run also carries a first admin (the rest of the first admin's command is in FirstAdminCommandTests): on
    /// an empty database, migrate applies every migration and then creates it.
    /// </summary>
    [Fact]
    public async Task Migrate_applies_every_migration_to_an_empty_database_creates_the_first_admin_and_is_idempotent_also_given_a_DATABASE_URL()
    {
        await using var database = await TestDatabase.CreateAsync();
        var server = new NpgsqlConnectionStringBuilder(database.ConnectionString);
        var url = $"postgres://{Uri.EscapeDataString(server.Username!)}:{Uri.EscapeDataString(server.Password ?? "")}@{server.Host}:{server.Port}/{database.Name}";
        var environment = Production(("ConnectionStrings__Postgres", database.ConnectionString));
        const string adminPassword = "Strong-first-keeper-7c1d";
        environment["Admin__Email"] = "root@example.com";
        environment["Admin__Password"] = adminPassword;

        var first = await ApiProcess.RunAsync(environment, "migrate");
        var applied = await CountAppliedMigrationsAsync(database.ConnectionString);
        var second = await ApiProcess.RunAsync(Production(("DATABASE_URL", url)), "migrate");

        Assert.True(first.ExitCode == 0, first.StandardError + first.StandardOutput);
        Assert.True(applied > 0);
        Assert.Contains($"{applied} migration(s) applied", first.StandardOutput, StringComparison.Ordinal);
        // The first admin, created by migrate from configuration, without its password in the output.
        Assert.Equal("admin", await database.ScalarAsync<string>("SELECT role FROM users WHERE normalized_email = 'root@example.com'"));
        Assert.DoesNotContain(adminPassword, first.StandardOutput + first.StandardError);
        // The URL reached the same, already migrated, database.
        Assert.True(second.ExitCode == 0, second.StandardError + second.StandardOutput);
        Assert.Contains("0 migration(s) applied", second.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(applied, await CountAppliedMigrationsAsync(database.ConnectionString));
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

    /// <summary>
    /// Security checklist point 4: an unusable signing key stops start-up with one line naming the setting, without the
    /// key (every way a key can be unusable is in SigningKeySettingsTests).
    /// </summary>
    [Fact]
    public async Task Start_up_stops_with_one_line_naming_an_unusable_signing_key_without_echoing_it()
    {
        var pem = Pem(RSA.Create(1024));
        var environment = Production(("ConnectionStrings__Postgres", "Host=127.0.0.1;Database=unused"), ("Jwt__SigningKeys__0__Pem", pem));

        var result = await ApiProcess.RunAsync(environment, "migrate");

        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(Lines(result.StandardError));
        Assert.Contains("Jwt:SigningKeys:0:Pem", line);
        Assert.Contains("1024 bits", line);
        Assert.All(pem.Split('\n').Where(part => part.Length > 16 && !part.StartsWith("-----", StringComparison.Ordinal)),
            part => Assert.DoesNotContain(part, result.StandardError + result.StandardOutput));
    }

    [Fact]
    public async Task Outside_development_no_key_is_refused_and_the_development_key_is_neither_read_nor_made()
    {
        var directory = Directory.CreateTempSubdirectory("signing-keys-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(directory, "development-rs256.pem"), ApiProcess.Key.Pem);
            var environment = Production(("ConnectionStrings__Postgres", "Host=127.0.0.1;Database=unused"), ("Jwt__DevelopmentKeyDirectory", directory));
            environment.Remove("Jwt__SigningKeys__0__Pem");

            var result = await ApiProcess.RunAsync(environment, "migrate");

            Assert.Equal(1, result.ExitCode);
            Assert.Contains("Jwt:SigningKeys is not set", Assert.Single(Lines(result.StandardError)));
            Assert.Equal(["development-rs256.pem"], Directory.GetFiles(directory).Select(Path.GetFileName));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Development_generates_a_private_key_file_on_first_run_and_reuses_it()
    {
        var directory = Path.Combine(Path.GetTempPath(), $"signing-keys-{Guid.NewGuid():N}");
        // Migrated beforehand: applying the migrations is the first test's; this one is about the key.
        await using var database = await TestDatabase.CreateAsync();
        await using (var db = database.CreateDbContext())
        {
            await db.Database.MigrateAsync();
        }

        var environment = new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["ConnectionStrings__Postgres"] = database.ConnectionString,
            ["Jwt__DevelopmentKeyDirectory"] = directory,
        };
        try
        {
            var first = await ApiProcess.RunAsync(environment, "migrate");
            var file = Path.Combine(directory, "development-rs256.pem");
            var key = await File.ReadAllTextAsync(file);
            TestRun.RememberSecret(key);
            var second = await ApiProcess.RunAsync(environment, "migrate");

            Assert.True(first.ExitCode == 0, first.StandardError + first.StandardOutput);
            Assert.True(second.ExitCode == 0, second.StandardError + second.StandardOutput);
            Assert.StartsWith("-----BEGIN PRIVATE KEY-----", key);
            Assert.Equal(key, await File.ReadAllTextAsync(file));
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            }
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    [Fact]
    public async Task Start_up_refuses_an_issuer_that_is_not_https_outside_development()
    {
        var result = await ApiProcess.RunAsync(
            Production(("ConnectionStrings__Postgres", "Host=127.0.0.1;Database=unused"), ("Jwt__Issuer", "http://api.example.test")), "migrate");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Jwt:Issuer must be an https URL", Assert.Single(Lines(result.StandardError)));
    }

    [Fact]
    public async Task Start_up_refuses_a_cheap_bcrypt_work_factor_in_production()
    {
        var result = await ApiProcess.RunAsync(
            Production(("ConnectionStrings__Postgres", "Host=127.0.0.1;Database=unused"), ("Auth__BcryptWorkFactor", "9")), "migrate");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Auth:BcryptWorkFactor", Assert.Single(Lines(result.StandardError)));
    }

    [Fact]
    public async Task Start_up_names_a_setting_that_is_not_a_number_without_echoing_it()
    {
        var result = await ApiProcess.RunAsync(
            Production(("ConnectionStrings__Postgres", "Host=127.0.0.1;Database=unused"), ("Jwt__AccessTokenMinutes", "fifteen-secret")), "migrate");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Jwt:AccessTokenMinutes", Assert.Single(Lines(result.StandardError)));
        Assert.DoesNotContain("fifteen-secret", result.StandardError + result.StandardOutput);
    }

    [Fact]
    public async Task Healthcheck_exits_0_while_the_running_api_is_ready_and_1_when_nothing_answers()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using (var db = database.CreateDbContext())
        {
            await db.Database.MigrateAsync();
        }

        var environment = Production(("ConnectionStrings__Postgres", database.ConnectionString));
        var nothingListening = await ApiProcess.RunAsync(
            new Dictionary<string, string?>(environment) { ["ASPNETCORE_URLS"] = string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{FreePort()}") }, "healthcheck");
        await using var server = await ServingApi.StartAsync(environment, "/health/ready");
        var check = await ApiProcess.RunAsync(new Dictionary<string, string?>(environment) { ["ASPNETCORE_URLS"] = server.Address.ToString() }, "healthcheck");

        Assert.Equal(1, nothingListening.ExitCode);
        Assert.True(check.ExitCode == 0, check.StandardOutput + check.StandardError);
        Assert.Contains($"{server.Address.Authority}/health/ready: 200", check.StandardOutput);
    }

    [Fact]
    public async Task An_unknown_command_exits_2_and_lists_the_commands()
    {
        var result = await ApiProcess.RunAsync(Production(("ConnectionStrings__Postgres", "Host=127.0.0.1;Database=unused")), "migrat");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("migrate", result.StandardError);
    }

    /// <summary>The email settings' rules are in EmailSettingsTests; this is the built app stopping on one.</summary>
    [Fact]
    public async Task Start_up_stops_with_one_line_naming_a_missing_email_setting()
    {
        var environment = Production(("ConnectionStrings__Postgres", "Host=127.0.0.1;Database=unused"));
        environment.Remove("Email__Smtp__Host");

        var result = await ApiProcess.RunAsync(environment);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Email:Smtp:Host is not set", Assert.Single(Lines(result.StandardError)));
    }

    private static Dictionary<string, string?> Production(params (string Key, string Value)[] settings) => ApiProcess.Production(settings);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string Pem(AsymmetricAlgorithm key)
    {
        using (key)
        {
            var pem = key.ExportPkcs8PrivateKeyPem();
            TestRun.RememberSecret(pem);
            return pem;
        }
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
