using Microsoft.Extensions.DependencyInjection;

namespace Contoso.Orders.Api.Tests.Infrastructure;

/// <summary>An app on a database of its own, for tests that need to know every row (such as how many rows a table holds).</summary>
public sealed class IsolatedApi : IAsyncDisposable
{
    private IsolatedApi(ApiFactory factory) => Factory = factory;

    public ApiFactory Factory { get; }

    /// <summary>
    /// Starts the app; <paramref name="settings"/> changes or adds to the settings every test app gets, and
    /// <paramref name="services"/> to its services.
    /// </summary>
    public static async Task<IsolatedApi> StartAsync(
        IReadOnlyDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null, string environment = "Testing")
    {
        var factory = new ApiFactory { Overrides = settings ?? new Dictionary<string, string?>(), ExtraServices = services, EnvironmentName = environment };
        await factory.InitializeAsync();
        return new IsolatedApi(factory);
    }

    public async ValueTask DisposeAsync() => await ((IAsyncLifetime)Factory).DisposeAsync();
}
