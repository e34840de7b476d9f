using AuthTemplate.Api.Security.SigningKeys;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AuthTemplate.Api.Tests.Infrastructure;

/// <summary>
/// The whole API, in process, over its real HTTP pipeline, on a freshly migrated database of its own.
/// </summary>
public sealed class ApiFactory : WebApplicationFactory<Program>, IAsyncLifetime
{
    /// <summary>The API's public base URL in tests; the test server answers any host.</summary>
    public const string Issuer = "https://api.authtemplate.test";

    public const string Audience = "authtemplate";

    private TestDatabase? _database;
    private readonly Lazy<WebApplicationFactory<Program>> _es256;

#if (Rbac)
    public const string AdminEmail = "first-admin@example.com";

    /// <summary>The first admin's password, made for this test run only.</summary>
    public string AdminPassword { get; } = $"Adm1n-{Guid.NewGuid():N}";

#endif
    /// <summary>The RS256 signing key, made for this test run only.</summary>
    public TestKey RsaKey { get; } = TestKey.Rsa();

    /// <summary>The ES256 signing key of <see cref="ForAlgorithm"/>("ES256"), made for this test run only.</summary>
    public TestKey EcKey { get; } = TestKey.EcP256();

    public TestDatabase Database => _database ?? throw new InvalidOperationException("The factory is not initialized.");

    /// <summary>Every log line every app of this factory wrote, for tests that look for leaked secrets.</summary>
    public CapturedLogs Logs { get; } = new();

    public ApiFactory()
    {
        _es256 = new(() => WithSettings(new Dictionary<string, string?>
        {
            ["Jwt:Algorithm"] = SigningAlgorithms.ES256,
            ["Jwt:SigningKeys:0:Pem"] = EcKey.Pem,
        }));
#if (Rbac)
        TestRun.RememberSecret(AdminPassword);
#endif
    }

    /// <summary>The settings every test app gets; <see cref="WithSettings"/> changes or adds to them.</summary>
    public Dictionary<string, string?> Settings => new()
    {
        ["ConnectionStrings:Postgres"] = Database.ConnectionString,
        ["Jwt:Issuer"] = Issuer,
        ["Jwt:SigningKeys:0:Pem"] = RsaKey.Pem,
        // Cheap hashes keep the suite fast; tests about the cost set it themselves.
        ["Auth:BcryptWorkFactor"] = "4",
        ["RateLimiting:PermitLimit"] = "100000",
#if (Rbac)
        ["Admin:Email"] = AdminEmail,
        ["Admin:Password"] = AdminPassword,
#endif
    };

    /// <summary>Migrates a fresh database, then starts the app on it, as a deployment would.</summary>
    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync();
        await using (var db = _database.CreateDbContext())
        {
            await db.Database.MigrateAsync();
        }

        _ = Server;
    }

    /// <summary>The key the app of <see cref="ForAlgorithm"/> signs with.</summary>
    public TestKey Key(string algorithm) => algorithm == SigningAlgorithms.ES256 ? EcKey : RsaKey;

    /// <summary>This app (RS256, the default) or one on the same database signing ES256; disposed with this factory.</summary>
    public WebApplicationFactory<Program> ForAlgorithm(string algorithm) => algorithm == SigningAlgorithms.ES256 ? _es256.Value : this;

    /// <summary>Another app on the same database with some settings changed; the caller disposes it.</summary>
    public WebApplicationFactory<Program> WithSettings(IDictionary<string, string?> settings, string? environment = null) =>
        WithWebHostBuilder(builder =>
        {
            if (environment is not null)
            {
                builder.UseEnvironment(environment);
            }

            builder.ConfigureAppConfiguration((_, configuration) => configuration.AddInMemoryCollection(settings));
        });

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.ConfigureAppConfiguration((_, configuration) => configuration.AddInMemoryCollection(Settings));
        builder.ConfigureLogging(logging => logging.AddProvider(Logs).AddProvider(TestRun.Logs));
        builder.ConfigureServices(services => services.AddTransient<IStartupFilter, SecretRecorder>());
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ApiCollection : ICollectionFixture<ApiFactory>, ICollectionFixture<ApiCollection.Finished>
{
    public const string Name = "api";

    public sealed class Finished() : FinishedMarker(Name);
}
