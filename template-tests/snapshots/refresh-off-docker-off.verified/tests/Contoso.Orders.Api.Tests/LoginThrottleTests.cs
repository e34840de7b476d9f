using System.Globalization;
using System.Net;
using Contoso.Orders.Api.Auth;
using Contoso.Orders.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Contoso.Orders.Api.Tests;

/// <summary>
/// Security checklist point 30, in one process with a clock the test moves: the per-email login throttle's window,
/// its count under concurrency, and the pruning of lapsed counts. Across replicas: Replicas/ReplicaLoginThrottleTests.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class LoginThrottleTests(ApiFactory api)
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(15);

    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);

    [Fact]
    public async Task After_the_limit_an_email_is_refused_until_its_window_lapses_whatever_the_password()
    {
        await using var app = App();
        using var client = app.CreateClient();
        var email = ApiClient.NewEmail();
        await client.RegisterConfirmedAsync(email);

        for (var failure = 1; failure <= 5; failure++)
        {
            await (await client.LoginAsync(email, "not the password")).AssertProblemAsync(HttpStatusCode.Unauthorized);
            _clock.Advance(TimeSpan.FromMinutes(1));
        }

        // The window started at the first failure, five minutes ago.
        var refused = await client.LoginAsync(email);
        await refused.AssertProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.Equal(TimeSpan.FromMinutes(10), refused.Headers.RetryAfter?.Delta);

        _clock.Advance(TimeSpan.FromMinutes(10) - TimeSpan.FromSeconds(1));
        var lastSecond = await client.LoginAsync(email);
        await lastSecond.AssertProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.Equal(TimeSpan.FromSeconds(1), lastSecond.Headers.RetryAfter?.Delta);

        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.OK, (await client.LoginAsync(email)).StatusCode);
    }

    [Fact]
    public async Task Once_the_window_lapses_a_failure_starts_a_new_count()
    {
        await using var app = App();
        using var client = app.CreateClient();
        var email = ApiClient.NewEmail("unknown");
        for (var failure = 1; failure <= 4; failure++)
        {
            await (await client.LoginAsync(email)).AssertProblemAsync(HttpStatusCode.Unauthorized);
        }

        _clock.Advance(Window);
        for (var failure = 1; failure <= 5; failure++)
        {
            await (await client.LoginAsync(email)).AssertProblemAsync(HttpStatusCode.Unauthorized);
        }

        await (await client.LoginAsync(email)).AssertProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.Equal(5, await FailuresAsync(email));
    }

    [Fact]
    public async Task Concurrent_failures_for_one_email_are_each_counted()
    {
        // The test app's limit is out of reach, so that every request gets as far as counting its failure.
        using var client = api.CreateClient();
        var email = ApiClient.NewEmail("unknown");

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => client.LoginAsync(email)));

        Assert.All(responses, response => Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode));
        Assert.Equal(20, await FailuresAsync(email));
    }

    [Fact]
    public async Task The_table_holds_a_hash_of_the_normalized_email_never_the_email()
    {
        using var client = api.CreateClient();
        var email = ApiClient.NewEmail("Guessed.Address");

        await client.LoginAsync($"  {email.ToUpperInvariant()} ");
        await client.LoginAsync(email);

        // Both spellings counted under one key: the SHA-256 of the trimmed, lower-case address.
        Assert.Equal(2, await FailuresAsync(email));
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(email.ToLowerInvariant()))),
            Convert.ToHexStringLower(LoginThrottle.Hash(email)));
        Assert.Equal("email_hash failures window_start", await api.Database.ScalarAsync<string>(
            "SELECT string_agg(column_name, ' ' ORDER BY column_name) FROM information_schema.columns WHERE table_name = 'failed_logins'"));
    }

    [Fact]
    public async Task Pruning_deletes_the_counts_whose_window_lapsed_and_no_other()
    {
        await using var app = App();
        using var client = app.CreateClient();
        var lapsed = ApiClient.NewEmail("lapsed");
        var live = ApiClient.NewEmail("live");
        await client.LoginAsync(lapsed);
        _clock.Advance(TimeSpan.FromMinutes(1));
        await client.LoginAsync(live);
        _clock.Advance(Window - TimeSpan.FromMinutes(1));

        await using var scope = app.Services.CreateAsyncScope();
        var pruned = await scope.ServiceProvider.GetRequiredService<LoginThrottle>().PruneAsync();

        Assert.True(pruned >= 1);
        Assert.Equal(0, await FailuresAsync(lapsed));
        Assert.Equal(1, await FailuresAsync(live));
    }

    /// <summary>The API with the default limit and window, on the test's clock.</summary>
    private WebApplicationFactory<Program> App() => api.WithWebHostBuilder(builder =>
    {
        builder.ConfigureAppConfiguration((_, configuration) => configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Auth:MaxFailedLoginsPerEmail"] = "5",
            ["Auth:FailedLoginWindow"] = Window.ToString("c", CultureInfo.InvariantCulture),
        }));
        builder.ConfigureServices(services => services.AddSingleton<TimeProvider>(_clock));
    });

    private async Task<int> FailuresAsync(string email)
    {
        var hex = Convert.ToHexStringLower(LoginThrottle.Hash(email));
        return await api.Database.ScalarAsync<int>($"SELECT coalesce(max(failures), 0) FROM failed_logins WHERE email_hash = decode('{hex}', 'hex')");
    }
}
