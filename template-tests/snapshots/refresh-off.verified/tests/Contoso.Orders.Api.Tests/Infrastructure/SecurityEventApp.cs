using Contoso.Orders.Api.Security;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Contoso.Orders.Api.Tests.Infrastructure;

/// <summary>
/// An app of the factory, for the security event tests: its log records are kept whole (event ids, levels, structured
/// fields) by a <see cref="FakeLogCollector"/>, and its clients' requests come from <see cref="ClientAddress"/> through
/// the forwarded headers a proxy sets, trusted as <c>ASPNETCORE_FORWARDEDHEADERS_ENABLED=true</c> trusts them. A test
/// makes its own, so that every record it holds comes from that test's requests.
/// </summary>
public sealed class SecurityEventApp : IAsyncDisposable
{
    /// <summary>A documentation address (RFC 5737), as a proxy would forward it.</summary>
    public const string ClientAddress = "203.0.113.7";

    private static readonly string Category = typeof(SecurityEvents).FullName!;

    public SecurityEventApp(ApiFactory api, IDictionary<string, string?>? settings = null)
    {
        var all = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>()) { ["FORWARDEDHEADERS_ENABLED"] = "true" };
        App = api.WithSettings(all).WithWebHostBuilder(builder =>
            builder.ConfigureLogging(logging => logging.AddProvider(new FakeLoggerProvider(Logs))));
        Client = App.CreateClient();
        Client.DefaultRequestHeaders.Add("X-Forwarded-For", ClientAddress);
    }

    public FakeLogCollector Logs { get; } = new();

    public WebApplicationFactory<Program> App { get; }

    public HttpClient Client { get; }

    public IServiceProvider Services => App.Services;

    /// <summary>Every security event this app logged so far.</summary>
    public IReadOnlyList<FakeLogRecord> Events => Logs.GetSnapshot().Where(record => record.Category == Category).ToList();

    /// <summary>The one record with this event id, checked for its name, level, the event property and the client's address.</summary>
    public FakeLogRecord Single(int eventId, string eventName, LogLevel level)
    {
        var record = Assert.Single(Events, record => record.Id.Id == eventId);
        Assert.Equal(eventName, record.Id.Name);
        Assert.Equal(level, record.Level);
        Assert.Equal(eventName, record.GetStructuredStateValue("SecurityEvent"));
        Assert.Equal(ClientAddress, record.GetStructuredStateValue("ClientAddress"));
        Assert.StartsWith(eventName + ":", record.Message, StringComparison.Ordinal);
        return record;
    }

    /// <summary>No event's message or field holds any of these values (an email, a password, a token of the test).</summary>
    public void AssertNoEventCarries(params string[] secrets)
    {
        var events = Events;
        Assert.NotEmpty(events);
        foreach (var record in events)
        {
            var texts = (record.StructuredState ?? []).Select(field => field.Value ?? "").Append(record.Message);
            foreach (var secret in secrets.Where(secret => secret.Length > 0))
            {
                Assert.DoesNotContain(texts, text => text.Contains(secret, StringComparison.OrdinalIgnoreCase));
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.DisposeAsync();
    }
}
