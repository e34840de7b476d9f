using System.Diagnostics;
using System.Globalization;
using System.Net;
using Contoso.Orders.Api.Configuration;
using Contoso.Orders.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Contoso.Orders.Api.Tests;

/// <summary>
/// Security checklist point 11, shown statistically: at the real default BCrypt cost, a login for an unknown email
/// and one with a wrong password take the same time within noise. An equivalence test on interleaved pairs: a 99%
/// confidence interval of the median paired difference must lie within 15% of the median login time. The median and
/// its order-statistic interval, unlike a mean, are not dragged by the few pairs that another process on the machine
/// happened to slow down. A noisy machine still widens the interval; then more pairs are timed, up to a limit.
/// </summary>
[Collection(LoginTimingCollection.Name)]
public sealed class LoginTimingTests(ApiFactory api, ITestOutputHelper output)
{
    private const double Margin = PairedTiming.DefaultMargin;
    private const double Confidence = PairedTiming.DefaultConfidence;

    [Fact]
    public async Task Unknown_email_and_wrong_password_take_the_same_time_at_the_default_cost()
    {
        var defaultCost = new AuthSettings().BcryptWorkFactor.ToString(CultureInfo.InvariantCulture);
        await using var app = api.WithSettings(new Dictionary<string, string?> { ["Auth:BcryptWorkFactor"] = defaultCost });
        using var client = app.CreateClient();
        var email = ApiClient.NewEmail();
        await client.RegisterAsync(email);
        await TimeLoginAsync(client, ApiClient.NewEmail("warm-up"));
        await TimeLoginAsync(client, email);

        var verdict = await PairedTiming.MeasureAsync(
            () => TimeLoginAsync(client, ApiClient.NewEmail("nobody")),
            () => TimeLoginAsync(client, email),
            Margin, Confidence);

        output.WriteLine(verdict.ToString());
        Assert.True(verdict.TypicalTime > 20, $"A wrong password took too little for BCrypt at cost {defaultCost}: {verdict}");
        Assert.True(verdict.Equivalent, verdict.ToString());
    }

    [Fact]
    public void The_verdict_tells_a_missing_dummy_verification_from_noise()
    {
        // A login that skips the verification for an unknown email answers in about 1 ms instead of about 300 ms.
        var random = new Random(12);
        var wrongPassword = Enumerable.Range(0, 24).Select(_ => 300 + random.NextDouble() * 40).ToList();
        var leaky = wrongPassword.Select(time => 1 + random.NextDouble() - time).ToList();
        var noisyButEqual = wrongPassword.Select((_, i) => (random.NextDouble() - 0.5) * 20 + (i % 6 == 0 ? 400 : 0)).ToList();

        Assert.False(PairedTiming.Compare(leaky, wrongPassword, Margin, Confidence).Equivalent);
        Assert.True(PairedTiming.Compare(noisyButEqual, wrongPassword, Margin, Confidence).Equivalent);
    }

    private static async Task<double> TimeLoginAsync(HttpClient client, string email)
    {
        var stopwatch = Stopwatch.StartNew();
        var response = await client.LoginAsync(email, "not the password");
        stopwatch.Stop();
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        return stopwatch.Elapsed.TotalMilliseconds;
    }
}

/// <summary>
/// Runs alone, after the collections that run in parallel. Beside the process tests, on a machine whose cores are
/// busy besides, a BCrypt request takes several times as long and other processes' starts weigh on one side of a
/// pair more than on the other: a verdict ran out of its time budget once that way. Alone, the suite's own work
/// does not weigh on the timings.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LoginTimingCollection : ICollectionFixture<ApiFactory>
{
    public const string Name = "login-timing";
}
