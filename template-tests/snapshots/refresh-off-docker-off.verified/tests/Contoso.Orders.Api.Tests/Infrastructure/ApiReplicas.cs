using Microsoft.EntityFrameworkCore;

namespace Contoso.Orders.Api.Tests.Infrastructure;

/// <summary>
/// Several replicas of the built API, each its own process with production settings, all on one database and one
/// mail server, as behind a load balancer. <see cref="Next"/> addresses them in turn; <see cref="this[int]"/> one of
/// them. Each client is tied to the database, so that the <see cref="ApiClient"/> helpers work on it.
/// </summary>
public sealed class ApiReplicas : IAsyncDisposable
{
    private readonly List<ServingApi> _replicas;
    private int _next = -1;

    private ApiReplicas(TestDatabase database, TestMailServer mail, List<ServingApi> replicas)
    {
        Database = database;
        Mail = mail;
        _replicas = replicas;
        foreach (var replica in replicas)
        {
            ApiClient.Remember(replica.Client, database);
        }
    }

    public TestDatabase Database { get; }

    public TestMailServer Mail { get; }

    public int Count => _replicas.Count;

    public HttpClient this[int index] => _replicas[index].Client;

    public IReadOnlyList<ServingApi> Processes => _replicas;

    /// <summary>The next replica in round-robin order.</summary>
    public HttpClient Next() => _replicas[(int)((uint)Interlocked.Increment(ref _next) % (uint)_replicas.Count)].Client;

    /// <summary>Every replica but the given one.</summary>
    public IEnumerable<HttpClient> Others(int index) => _replicas.Where((_, i) => i != index).Select(replica => replica.Client);

    /// <summary>
    /// Creates and migrates a database, starts a mail server, and starts <paramref name="count"/> replicas on them.
    /// The per-address limiter is raised out of the way (every test request comes from one address); tests of a
    /// limit set it with <paramref name="settings"/>, which win over everything else.
    /// </summary>
    public static async Task<ApiReplicas> StartAsync(int count = 2, params (string Key, string Value)[] settings)
    {
        var database = await TestDatabase.CreateAsync();
        var mail = new TestMailServer();
        try
        {
            await using (var db = database.CreateDbContext())
            {
                await db.Database.MigrateAsync();
            }

            var environment = ApiProcess.Production(
                ("ConnectionStrings__Postgres", database.ConnectionString),
                ("RateLimiting__PermitLimit", "100000"));
            foreach (var (key, value) in ApiProcess.AsEnvironment(mail.Settings))
            {
                environment[key] = value;
            }

            foreach (var (key, value) in settings)
            {
                environment[key] = value;
            }

            var replicas = await Task.WhenAll(Enumerable.Range(0, count).Select(_ => ServingApi.StartAsync(environment)));
            return new ApiReplicas(database, mail, [.. replicas]);
        }
        catch
        {
            await mail.DisposeAsync();
            await database.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var replica in _replicas)
        {
            await replica.DisposeAsync();
        }

        await Mail.DisposeAsync();
        await Database.DisposeAsync();
    }
}
