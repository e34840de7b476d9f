using System.Diagnostics;
using System.Globalization;
using System.Net;
using Contoso.Orders.Api.Configuration;
using Contoso.Orders.Api.Tests.Infrastructure;

namespace Contoso.Orders.Api.Tests;

/// <summary>
/// Security checklist point 11, shown statistically: at the real default BCrypt cost, a login for an unknown email
/// and one with a wrong password take the same time within noise. An equivalence test on interleaved pairs: the 99%
/// confidence interval of the mean paired difference must lie within 15% of the mean login time. A noisy machine
/// widens the interval; then more pairs are timed, up to a limit, before the test gives its verdict.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class LoginTimingTests(ApiFactory api)
{
    private const int PairsPerRound = 12;
    private const int MaxRounds = 4;
    private const double Margin = 0.15;
    private const double Z99 = 2.576;

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
        var report = "";
        for (var round = 1; round <= MaxRounds; round++)
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

            var mean = differences.Average();
            var interval = Z99 * Math.Sqrt(Variance(differences) / differences.Count);
            var allowed = Margin * wrongPasswordTimes.Average();
            report = string.Create(CultureInfo.InvariantCulture,
                $"{differences.Count} pairs: a wrong password takes {wrongPasswordTimes.Average():F1} ms; an unknown email takes {mean:+0.0;-0.0} ± {interval:F1} ms (99%) more; allowed ± {allowed:F1} ms");
            if (Math.Abs(mean) + interval < allowed)
            {
                break;
            }
        }

        Assert.True(wrongPasswordTimes.Average() > 20, $"A wrong password took too little for BCrypt at cost {defaultCost}: {report}");
        var final = differences.Average();
        Assert.True(Math.Abs(final) + Z99 * Math.Sqrt(Variance(differences) / differences.Count) < Margin * wrongPasswordTimes.Average(), report);
    }
    private static async Task<double> TimeLoginAsync(HttpClient client, string email)
    {
        var stopwatch = Stopwatch.StartNew();
        var response = await client.LoginAsync(email, "not the password");
        stopwatch.Stop();
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        return stopwatch.Elapsed.TotalMilliseconds;
    }

    private static double Variance(List<double> samples)
    {
        var mean = samples.Average();
        return samples.Sum(sample => (sample - mean) * (sample - mean)) / (samples.Count - 1);
    }
}
