namespace Contoso.Orders.Api.Hosting;

/// <summary>
/// <c>dotnet Contoso.Orders.Api.dll healthcheck</c>: asks the running API on this machine whether it is ready and exits 0
/// when it answers 200, 1 otherwise. A container health check runs it, so the image needs no curl or wget.
/// </summary>
public static class HealthCheckCommand
{
    public const string Name = "healthcheck";

    public static bool IsRequested(string[] args) => args is [Name, ..];

    public static async Task<int> RunAsync()
    {
        var url = $"http://127.0.0.1:{ListeningPort()}/health/ready";
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        try
        {
            using var response = await client.GetAsync(url);
            Console.WriteLine($"{url}: {(int)response.StatusCode}");
            return response.IsSuccessStatusCode ? 0 : 1;
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
        {
            Console.WriteLine($"{url}: no answer ({exception.GetType().Name})");
            return 1;
        }
    }

    /// <summary>The first HTTP port the app listens on, as ASP.NET Core reads it from the environment.</summary>
    private static int ListeningPort()
    {
        var urls = Environment.GetEnvironmentVariable("ASPNETCORE_URLS")?.Split(';', StringSplitOptions.RemoveEmptyEntries) ?? [];
        var httpUrl = urls.FirstOrDefault(url => url.StartsWith("http://", StringComparison.OrdinalIgnoreCase));
        if (httpUrl is not null && int.TryParse(httpUrl[(httpUrl.LastIndexOf(':') + 1)..].TrimEnd('/'), out var urlPort))
        {
            return urlPort;
        }

        var ports = Environment.GetEnvironmentVariable("ASPNETCORE_HTTP_PORTS") ?? Environment.GetEnvironmentVariable("HTTP_PORTS");
        var first = ports?.Split([';', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
        return int.TryParse(first, out var port) ? port : 8080;
    }
}
