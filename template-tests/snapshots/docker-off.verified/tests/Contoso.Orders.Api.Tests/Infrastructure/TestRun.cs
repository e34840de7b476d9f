using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Xunit.Abstractions;

[assembly: TestCollectionOrderer("Contoso.Orders.Api.Tests.Infrastructure.CollectionOrder", "Contoso.Orders.Api.Tests")]

namespace Contoso.Orders.Api.Tests.Infrastructure;

/// <summary>
/// What the whole test run logged, and every secret that passed through it (passwords and tokens in request and
/// response bodies, bearer tokens, signing keys, database passwords), for the scan that runs after every other test.
/// </summary>
public static class TestRun
{
    private static readonly ConcurrentDictionary<string, Secret> KnownSecrets = new();
    private static readonly ConcurrentDictionary<string, TaskCompletionSource> FinishedGroups = new();

    public static CapturedLogs Logs { get; } = new();

    public static IReadOnlyCollection<Secret> Secrets => KnownSecrets.Values.ToList();

    /// <summary>Marks a group of tests that write logs as finished (called when its fixture is disposed).</summary>
    public static void MarkFinished(string group) => Finished(group).TrySetResult();

    /// <summary>Completes once every named group of tests has finished.</summary>
    public static Task WhenFinished(params string[] groups) => Task.WhenAll(groups.Select(group => Finished(group).Task));

    private static TaskCompletionSource Finished(string group) =>
        FinishedGroups.GetOrAdd(group, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    /// <summary>Remembers a value that must never appear in a log; short or repetitive values are not worth a search.</summary>
    public static void RememberSecret(string? secret) => Remember(secret is null ? null : new Secret(secret));

    /// <summary>Remembers a connection string's password (see <see cref="Secret.OfDatabase"/>).</summary>
    public static void RememberDatabasePassword(string connectionString) => Remember(Secret.OfDatabase(connectionString));

    // A value remembered both ways is looked for everywhere: the stricter search wins.
    private static void Remember(Secret? secret)
    {
        if (secret is { Value: { Length: >= 8 } value } && value.Distinct().Count() > 3)
        {
            KnownSecrets.AddOrUpdate(value, secret, (_, known) => known.OnlyWhereAPasswordGoes ? secret : known);
        }
    }
}

/// <summary>Reads every request and response of a test app and remembers the secrets they carry.</summary>
public sealed class SecretRecorder : IStartupFilter
{
    // Passwords and tokens of every kind, whatever the endpoint calls them ("newPassword", "accessToken", ...).
    private static bool IsSecretField(string name) =>
        name.Contains("password", StringComparison.OrdinalIgnoreCase) || name.Contains("token", StringComparison.OrdinalIgnoreCase);

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use(async (context, nextMiddleware) =>
        {
            var authorization = context.Request.Headers.Authorization.ToString();
            if (authorization.StartsWith("Bearer ", StringComparison.Ordinal))
            {
                TestRun.RememberSecret(authorization["Bearer ".Length..]);
            }

            context.Request.EnableBuffering();
            RememberSecretsIn(await new StreamReader(context.Request.Body, leaveOpen: true).ReadToEndAsync());
            context.Request.Body.Position = 0;

            var originalBody = context.Response.Body;
            using var copy = new MemoryStream();
            context.Response.Body = copy;
            try
            {
                await nextMiddleware(context);
            }
            finally
            {
                copy.Position = 0;
                RememberSecretsIn(await new StreamReader(copy, leaveOpen: true).ReadToEndAsync());
                copy.Position = 0;
                context.Response.Body = originalBody;
                await copy.CopyToAsync(originalBody);
            }
        });
        next(app);
    };

    private static void RememberSecretsIn(string json)
    {
        if (json.Length is 0 or > 100_000 || json[0] != '{')
        {
            return;
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (IsSecretField(property.Name) && property.Value.ValueKind == JsonValueKind.String)
                {
                    TestRun.RememberSecret(property.Value.GetString());
                }
            }
        }
        catch (Exception exception) when (exception is JsonException or InvalidOperationException)
        {
            // Not JSON, or a string that is not valid UTF-16 (a bad-input test): nothing the app could have understood
            // as a secret.
        }
    }
}

/// <summary>
/// Starts the process collections first, in an order that takes the process slots (<see cref="ProcessCollectionFixture"/>)
/// well: the observed processes, whose key rotation mostly waits for a moment set in its configuration, and the
/// commands beside the in-process tests' busiest part, then the replicas and the stops and crashes (whose BCrypt-heavy
/// load tests measure a stop). Last, the collection that scans the run's logs once every other has finished.
/// </summary>
public sealed class CollectionOrder : ITestCollectionOrderer
{
    public const string LastCollection = "log-scan";

    private static readonly string[] ProcessCollections = [ObservedProcessCollection.Name, CommandCollection.Name, ReplicaCollection.Name, ProcessCollection.Name];

    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        testCollections.OrderBy(collection => collection.DisplayName.Contains(LastCollection, StringComparison.Ordinal) ? 1 : 0)
            .ThenBy(collection => Array.IndexOf(ProcessCollections, collection.DisplayName) is var i and >= 0 ? i : ProcessCollections.Length);
}

[CollectionDefinition(CollectionOrder.LastCollection)]
public sealed class LogScanCollection;

/// <summary>A fixture whose disposal, after the last test of its collection or class, marks that group finished.</summary>
public abstract class FinishedMarker(string group) : IDisposable
{
    public void Dispose() => TestRun.MarkFinished(group);
}
