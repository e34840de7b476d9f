using System.Diagnostics;
using System.Globalization;
using System.Net;
using Contoso.Orders.Api.Configuration;
using Contoso.Orders.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Contoso.Orders.Api.Tests.Account;

/// <summary>
/// Security checklist point 25, shown statistically as for login (see <see cref="LoginTimingTests"/>): at the real
/// default BCrypt cost, each endpoint that names an address takes the same time for an address that has an account
/// and for one that has none. Runs with the login timing test, alone, after the parallel collections. Resend and
/// forgot answer in a millisecond or two in process (they only queue an email, the same one either way), so a share
/// of their time is below what the clock tells on a busy machine: for them, a millisecond is allowed, a few
/// hundredths of what a BCrypt verification (the work an account lookup would lead to) costs, and being fast they
/// are timed over many more pairs (see <see cref="PairedTiming.MeasureAsync"/>).
/// </summary>
[Collection(LoginTimingCollection.Name)]
public sealed class AccountTimingTests(ApiFactory api, ITestOutputHelper output)
{
    private const double MinimumAllowedMilliseconds = 1;

    [Theory]
    [InlineData("register")]
    [InlineData("resend-confirmation")]
    [InlineData("forgot-password")]
    [InlineData("change-email")]
    public async Task An_existing_and_an_unknown_address_take_the_same_time_at_the_default_cost(string endpoint)
    {
        var defaultCost = new AuthSettings().BcryptWorkFactor.ToString(CultureInfo.InvariantCulture);
        await using var app = api.WithSettings(new Dictionary<string, string?> { ["Auth:BcryptWorkFactor"] = defaultCost });
        using var client = app.CreateClient();
        var existing = ApiClient.NewEmail("existing");
        await client.RegisterConfirmedAsync(existing);
        var (_, caller) = await client.RegisterAndLoginAsync();
        var accessToken = caller.GetProperty("accessToken").GetString()!;
        await TimeAsync(client, endpoint, ApiClient.NewEmail("warm-up"), accessToken);
        await TimeAsync(client, endpoint, existing, accessToken);

        var verdict = await PairedTiming.MeasureAsync(
            () => TimeAsync(client, endpoint, ApiClient.NewEmail("nobody"), accessToken),
            () => TimeAsync(client, endpoint, existing, accessToken),
            minimumAllowed: MinimumAllowedMilliseconds);

        output.WriteLine($"{endpoint}: {verdict}");
        Assert.True(verdict.Equivalent, $"{endpoint}: {verdict}");
    }

    [Fact]
    public void The_verdict_tells_a_synchronous_write_for_existing_accounts_from_noise()
    {
        // Forgot-password that wrote the token and the email in the request for an existing account only: about a
        // millisecond more, against requests of about two milliseconds that a busy machine slows by up to a few.
        var random = new Random(25);
        var baseline = Enumerable.Range(0, 600).Select(_ => 2 + random.NextDouble() * 3).ToList();
        var leaky = baseline.Select(time => -1.2 + (random.NextDouble() - 0.5) * 3).ToList();
        var equal = baseline.Select(_ => (random.NextDouble() - 0.5) * 3).ToList();

        Assert.False(PairedTiming.Compare(leaky, baseline, PairedTiming.DefaultMargin, PairedTiming.DefaultConfidence, MinimumAllowedMilliseconds).Equivalent);
        Assert.True(PairedTiming.Compare(equal, baseline, PairedTiming.DefaultMargin, PairedTiming.DefaultConfidence, MinimumAllowedMilliseconds).Equivalent);
    }

    private static async Task<double> TimeAsync(HttpClient client, string endpoint, string email, string accessToken)
    {
        var stopwatch = Stopwatch.StartNew();
        var response = endpoint switch
        {
            "register" => await client.RegisterAsync(email),
            "resend-confirmation" => await client.ResendConfirmationAsync(email),
            "forgot-password" => await client.ForgotPasswordAsync(email),
            _ => await client.ChangeEmailAsync(accessToken, email),
        };
        stopwatch.Stop();
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return stopwatch.Elapsed.TotalMilliseconds;
    }
}
