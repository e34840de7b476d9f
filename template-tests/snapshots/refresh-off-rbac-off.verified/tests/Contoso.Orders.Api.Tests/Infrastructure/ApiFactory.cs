using System.Collections.Concurrent;
using Contoso.Orders.Api.Security.SigningKeys;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Contoso.Orders.Api.Tests.Infrastructure;

/// <summary>
/// The whole API, in process, over its real HTTP pipeline, on a freshly migrated database of its own.
/// </summary>
public sealed class ApiFactory : WebApplicationFactory<Program>, IAsyncLifetime
{
    /// <summary>The API's public base URL in tests; the test server answers any host.</summary>
    public const string Issuer = "https://api.contoso_orders.test";

    public const string Audience = "contoso_orders";

    private TestDatabase? _database;
    private readonly Lazy<WebApplicationFactory<Program>> _es256;

    private readonly ConcurrentDictionary<string, string> _secrets = new();

    /// <summary>The RS256 signing key, made for this test run only.</summary>
    public TestKey RsaKey { get; } = TestKey.Rsa();

    /// <summary>The ES256 signing key of <see cref="ForAlgorithm"/>("ES256"), made for this test run only.</summary>
    public TestKey EcKey { get; } = TestKey.EcP256();

    public TestDatabase Database => _database ?? throw new InvalidOperationException("The factory is not initialized.");

    /// <summary>Every log line every app of this factory wrote, for tests that look for leaked secrets.</summary>
    public CapturedLogs Logs { get; } = new();

    /// <summary>The SMTP server every app of this factory sends its email to.</summary>
    public TestMailServer Mail { get; } = new();

    /// <summary>Settings of this factory's apps that differ from every other test app's (see <see cref="IsolatedApi"/>).</summary>
    public IReadOnlyDictionary<string, string?> Overrides { get; init; } = new Dictionary<string, string?>();

    /// <summary>The environment of this factory's apps.</summary>
    public string EnvironmentName { get; init; } = "Testing";

    /// <summary>Services this factory's apps get besides the app's own (a test's <c>IEmailPreparer</c>, say).</summary>
    public Action<IServiceCollection>? ExtraServices { get; init; }

    public ApiFactory()
    {
        _es256 = new(() => WithSettings(new Dictionary<string, string?>
        {
            ["Jwt:Algorithm"] = SigningAlgorithms.ES256,
            ["Jwt:SigningKeys:0:Pem"] = EcKey.Pem,
        }));
    }

    /// <summary>
    /// The settings every test app gets, each feature's own included (see <see cref="IApiFeature.SettingsFor"/>), then
    /// the overrides the factory was made with; <see cref="WithSettings"/> changes or adds to them.
    /// </summary>
    public Dictionary<string, string?> Settings
    {
        get
        {
            var settings = new Dictionary<string, string?>(EmailSettings)
            {
                ["ConnectionStrings:Postgres"] = Database.ConnectionString,
                ["Jwt:Issuer"] = Issuer,
                ["Jwt:SigningKeys:0:Pem"] = RsaKey.Pem,
                // Cheap hashes keep the suite fast; tests about the cost set it themselves.
                ["Auth:BcryptWorkFactor"] = "4",
                ["RateLimiting:PermitLimit"] = "100000",
                // Tests that fail many logins for one email (the timing tests) are not about the throttle; its own
                // tests set the limit.
                ["Auth:MaxFailedLoginsPerEmail"] = "1000000",
            };
            foreach (var (key, value) in ApiFeatures.All.SelectMany(feature => feature.SettingsFor(this)).Concat(Mail.Settings).Concat(Overrides))
            {
                settings[key] = value;
            }

            return settings;
        }
    }

    /// <summary>The email settings of a test app, apart from the SMTP server (see <see cref="TestMailServer.Settings"/>).</summary>
    public static Dictionary<string, string?> EmailSettings => new()
    {
        ["Email:From"] = "no-reply@example.com",
        ["Email:ConfirmEmailUrl"] = "https://app.example.com/confirm-email",
        ["Email:ResetPasswordUrl"] = "https://app.example.com/reset-password",
        // Short waits: a test sees its email within a fraction of a second, and a retry soon after a failure.
        ["Email:Sender:PollInterval"] = "00:00:00.150",
        ["Email:Sender:FirstRetryDelay"] = "00:00:00.100",
        ["Email:Sender:MaxRetryDelay"] = "00:00:01",
    };

    /// <summary>A secret of this factory's apps (a password a feature configures), made once by name and remembered for the log scan.</summary>
    public string Secret(string name, Func<string> make) => _secrets.GetOrAdd(name, _ =>
    {
        var secret = make();
        TestRun.RememberSecret(secret);
        return secret;
    });

    /// <summary>
    /// Migrates a fresh database, then starts the app on it, as a deployment would; the tests begin once the work the
    /// app's features do after it starts is done.
    /// </summary>
    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync();
        await using (var db = _database.CreateDbContext())
        {
            await db.Database.MigrateAsync();
        }

        _ = Server;
        foreach (var feature in ApiFeatures.All)
        {
            await feature.StartedAsync(Services);
        }
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
        builder.UseEnvironment(EnvironmentName);
        builder.ConfigureAppConfiguration((_, configuration) => configuration.AddInMemoryCollection(Settings));
        builder.ConfigureLogging(logging => logging.AddProvider(Logs).AddProvider(TestRun.Logs));
        builder.ConfigureServices(services =>
        {
            services.AddTransient<IStartupFilter, SecretRecorder>();
            ExtraServices?.Invoke(services);
        });
    }

    /// <summary>Runs for the clients of this factory and of every app made with <see cref="WithSettings"/>.</summary>
    protected override void ConfigureClient(HttpClient client)
    {
        base.ConfigureClient(client);
        ApiClient.Remember(client, Database);
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await Mail.DisposeAsync();
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

/// <summary>
/// The bad-input tables: hundreds of requests that need nothing of the other tests, on an app and a database of their
/// own, so that they run beside the other collections instead of after them.
/// </summary>
[CollectionDefinition(Name)]
public sealed class BadInputCollection : ICollectionFixture<ApiFactory>, ICollectionFixture<BadInputCollection.Finished>
{
    public const string Name = "bad-input";

    public sealed class Finished() : FinishedMarker(Name);
}

/// <summary>The passkey tests, on an app and a database of their own for the same reason.</summary>
[CollectionDefinition(Name)]
public sealed class PasskeyCollection : ICollectionFixture<ApiFactory>, ICollectionFixture<PasskeyCollection.Finished>
{
    public const string Name = "passkeys";

    public sealed class Finished() : FinishedMarker(Name);
}

/// <summary>The two-factor tests, on an app and a database of their own for the same reason.</summary>
[CollectionDefinition(Name)]
public sealed class TwoFactorCollection : ICollectionFixture<ApiFactory>, ICollectionFixture<TwoFactorCollection.Finished>
{
    public const string Name = "two-factor";

    public sealed class Finished() : FinishedMarker(Name);
}
