namespace Contoso.Orders.Api.Tests.Infrastructure;

/// <summary>An app on a database of its own, for tests that need to know every row (such as how many rows a table holds).</summary>
public sealed class IsolatedApi : IAsyncDisposable
{
    private IsolatedApi(ApiFactory factory) => Factory = factory;

    public ApiFactory Factory { get; }

    public static async Task<IsolatedApi> StartAsync()
    {
        var factory = new ApiFactory();
        await factory.InitializeAsync();
        return new IsolatedApi(factory);
    }

    public async ValueTask DisposeAsync() => await ((IAsyncLifetime)Factory).DisposeAsync();
}
