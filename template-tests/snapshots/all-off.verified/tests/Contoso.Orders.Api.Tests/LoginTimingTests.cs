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
    private const int PairsPerRound = 12;
    private const int MaxRounds = 5;
    private const double Margin = 0.15;
    private const double Confidence = 0.99;

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

        var differences = new List<double>();
        var wrongPasswordTimes = new List<double>();
        var verdict = PairedTiming.Compare(differences, wrongPasswordTimes, Margin, Confidence);
        for (var round = 1; round <= MaxRounds && !verdict.Equivalent; round++)
        {
            for (var i = 0; i < PairsPerRound; i++)
            {
                // Each pair back to back, so that whatever else the machine does weighs on both alike, and in
                // alternating order, so that being first or second in a pair weighs on both alike too.
                double unknown, wrongPassword;
                if (differences.Count % 2 == 0)
                {
                    unknown = await TimeLoginAsync(client, ApiClient.NewEmail("nobody"));
                    wrongPassword = await TimeLoginAsync(client, email);
                }
                else
                {
                    wrongPassword = await TimeLoginAsync(client, email);
                    unknown = await TimeLoginAsync(client, ApiClient.NewEmail("nobody"));
                }

                differences.Add(unknown - wrongPassword);
                wrongPasswordTimes.Add(wrongPassword);
            }

            verdict = PairedTiming.Compare(differences, wrongPasswordTimes, Margin, Confidence);
        }

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
/// Runs alone, after the collections that run in parallel, so that the timings do not measure the other tests.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LoginTimingCollection : ICollectionFixture<ApiFactory>
{
    public const string Name = "login-timing";
}

/// <summary>An equivalence verdict on paired timing differences, from the median and its order-statistic interval.</summary>
public sealed record PairedTiming(int Pairs, double TypicalTime, double MedianDifference, double Low, double High, double Allowed, double Confidence)
{
    public bool Equivalent => Pairs > 0 && Low > -Allowed && High < Allowed;

    public static PairedTiming Compare(IReadOnlyList<double> differences, IReadOnlyList<double> baselineTimes, double margin, double confidence)
    {
        if (differences.Count == 0)
        {
            return new PairedTiming(0, 0, 0, double.NegativeInfinity, double.PositiveInfinity, 0, confidence);
        }

        var sorted = differences.Order().ToArray();
        var k = MedianIntervalRank(sorted.Length, confidence);
        var (low, high) = k == 0
            ? (double.NegativeInfinity, double.PositiveInfinity)
            : (sorted[k - 1], sorted[sorted.Length - k]);
        var typical = Median(baselineTimes);
        return new PairedTiming(sorted.Length, typical, Median(sorted), low, high, margin * typical, confidence);
    }

    /// <summary>
    /// The largest k such that the k-th smallest and k-th largest of n samples bound the median with the given
    /// confidence: the number of samples below the median is Binomial(n, 1/2), whatever the distribution.
    /// </summary>
    public static int MedianIntervalRank(int n, double confidence)
    {
        var tail = (1 - confidence) / 2;
        var k = 0;
        var cumulative = 0.0;
        for (var below = 0; below < n; below++)
        {
            cumulative += Math.Exp(LogChoose(n, below) - n * Math.Log(2));
            if (cumulative > tail)
            {
                break;
            }

            k = below + 1;
        }

        return k;
    }

    private static double LogChoose(int n, int k)
    {
        var result = 0.0;
        for (var i = 1; i <= k; i++)
        {
            result += Math.Log(n - k + i) - Math.Log(i);
        }

        return result;
    }

    private static double Median(IEnumerable<double> samples)
    {
        var sorted = samples.Order().ToArray();
        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Pairs} pairs: a wrong password takes {TypicalTime:F1} ms (median); an unknown email takes {MedianDifference:+0.0;-0.0} ms more (median), between {Low:+0.0;-0.0} and {High:+0.0;-0.0} ms ({Confidence * 100:F0}%); allowed ± {Allowed:F1} ms");
}
