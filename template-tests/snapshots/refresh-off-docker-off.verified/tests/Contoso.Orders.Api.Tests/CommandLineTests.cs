using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Contoso.Orders.Api.Tests.Infrastructure;
using Npgsql;

namespace Contoso.Orders.Api.Tests;

[Collection(CommandCollection.Name)]
public sealed class CommandLineTests
{
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

    public static TheoryData<string> UnusableSigningKeys => new()
    {
        "missing",
        "an RSA key under 2048 bits",
        "an EC key on P-384",
        "a P-256 key while the algorithm is RS256",
        "encrypted",
        "a malformed PEM",
        "a symmetric key",
        "configured twice (duplicate kid)",
        "a file that does not exist",
        "active only in the future",
    };

    /// <summary>Security checklist point 4: each way a signing key can be unusable stops start-up with one line naming the setting.</summary>
    [Theory]
    [MemberData(nameof(UnusableSigningKeys))]
    public async Task Start_up_refuses_a_signing_key_that_is(string problem)
    {
        var environment = Production(("ConnectionStrings__Postgres", "Host=127.0.0.1;Database=unused"));
        environment.Remove("Jwt__SigningKeys__0__Pem");
        var (setting, reason, pem) = problem switch
        {
            "missing" => ("Jwt:SigningKeys", "not set", null),
            "an RSA key under 2048 bits" => ("Jwt:SigningKeys:0:Pem", "1024 bits", Pem(RSA.Create(1024))),
            "an EC key on P-384" => ("Jwt:SigningKeys:0:Pem", "P-256", Pem(ECDsa.Create(ECCurve.NamedCurves.nistP384))),
            "a P-256 key while the algorithm is RS256" => ("Jwt:SigningKeys:0:Pem", "algorithm is RS256", Pem(ECDsa.Create(ECCurve.NamedCurves.nistP256))),
            "encrypted" => ("Jwt:SigningKeys:0:Pem", "encrypted", EncryptedPem()),
            "a malformed PEM" => ("Jwt:SigningKeys:0:Pem", "malformed", MalformedPem()),
            "a symmetric key" => ("Jwt:SigningKeys:0:Pem", "Symmetric", Convert.ToBase64String(RandomNumberGenerator.GetBytes(48))),
            "configured twice (duplicate kid)" => ("Jwt:SigningKeys:0 and Jwt:SigningKeys:1", "same kid", ApiProcess.Key.Pem),
            "a file that does not exist" => ("Jwt:SigningKeys:0:PemFile", "cannot be read", null),
            "active only in the future" => ("Jwt:SigningKeys", "no key active", ApiProcess.Key.Pem),
            _ => throw new ArgumentOutOfRangeException(nameof(problem)),
        };
        if (pem is not null)
        {
            environment["Jwt__SigningKeys__0__Pem"] = pem;
        }

        switch (problem)
        {
            case "configured twice (duplicate kid)":
                environment["Jwt__SigningKeys__1__Pem"] = pem;
                environment["Jwt__SigningKeys__1__ActiveFrom"] = DateTimeOffset.UtcNow.AddDays(1).ToString("O", CultureInfo.InvariantCulture);
                break;
            case "a file that does not exist":
                environment["Jwt__SigningKeys__0__PemFile"] = Path.Combine(Path.GetTempPath(), $"no-such-key-{Guid.NewGuid():N}.pem");
                break;
            case "active only in the future":
                environment["Jwt__SigningKeys__0__ActiveFrom"] = DateTimeOffset.UtcNow.AddDays(1).ToString("O", CultureInfo.InvariantCulture);
                break;
        }

        var result = await ApiProcess.RunAsync(environment, "migrate");

        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(Lines(result.StandardError));
        Assert.Contains(setting, line);
        Assert.Contains(reason, line);
        if (pem is not null)
        {
            Assert.All(pem.Split('\n').Where(part => part.Length > 16 && !part.StartsWith("-----", StringComparison.Ordinal)),
                part => Assert.DoesNotContain(part, result.StandardError + result.StandardOutput));
        }
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
        await using var database = await TestDatabase.CreateAsync();
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
            var deadline = DateTime.UtcNow + Patience.Limit;
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

    private static string EncryptedPem()
    {
        using var key = RSA.Create(2048);
        return key.ExportEncryptedPkcs8PrivateKeyPem("passphrase", new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 1000));
    }

    /// <summary>A PEM whose body is cut short: the shape of a secret that was truncated on its way to the app.</summary>
    private static string MalformedPem()
    {
        var pem = Pem(RSA.Create(2048));
        return pem[..(pem.Length / 2)] + "\n-----END PRIVATE KEY-----\n";
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
