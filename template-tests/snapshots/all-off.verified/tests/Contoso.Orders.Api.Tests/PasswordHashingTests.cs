using System.Diagnostics;
using System.Net;
using Contoso.Orders.Api.Configuration;
using Contoso.Orders.Api.Tests.Infrastructure;

namespace Contoso.Orders.Api.Tests;

/// <summary>Security checklist points 11 and 12: BCrypt at a configurable cost, and logins that time alike.</summary>
[Collection(ApiCollection.Name)]
public sealed class PasswordHashingTests(ApiFactory api)
{
    [Fact]
    public void The_default_work_factor_is_12()
    {
        Assert.Equal(12, new AuthSettings().BcryptWorkFactor);
    }

    [Fact]
    public async Task Passwords_are_stored_as_bcrypt_hashes_at_the_configured_cost()
    {
        await using var app = api.WithSettings(new Dictionary<string, string?> { ["Auth:BcryptWorkFactor"] = "6" });
        using var client = app.CreateClient();
        var email = ApiClient.NewEmail();

        await client.RegisterAsync(email);

        var hash = await api.Database.ScalarAsync<string>($"SELECT password_hash FROM users WHERE normalized_email = '{email}'");
        Assert.Matches(@"^\$2[aby]\$06\$.{53}$", hash);
        Assert.DoesNotContain(ApiClient.Password, hash);
    }

    [Fact]
    public async Task A_login_rehashes_a_password_stored_at_an_outdated_cost()
    {
        using var client = api.CreateClient();
        var (email, _) = await client.RegisterAndLoginAsync();
        await using var stronger = api.WithSettings(new Dictionary<string, string?> { ["Auth:BcryptWorkFactor"] = "5" });

        Assert.Equal(HttpStatusCode.OK, (await stronger.CreateClient().LoginAsync(email)).StatusCode);

        Assert.StartsWith("$2", await api.Database.ScalarAsync<string>($"SELECT password_hash FROM users WHERE normalized_email = '{email}'"));
        Assert.Contains("$05$", await api.Database.ScalarAsync<string>($"SELECT password_hash FROM users WHERE normalized_email = '{email}'"));
    }

    [Fact]
    public async Task At_the_default_cost_an_unknown_email_takes_as_long_as_a_wrong_password()
    {
        // Without the verification against a dummy hash an unknown email would answer in about a millisecond,
        // against a few hundred for a wrong password: the ratio tells the two designs apart by a wide margin.
        await using var app = api.WithSettings(new Dictionary<string, string?> { ["Auth:BcryptWorkFactor"] = "12" });
        using var client = app.CreateClient();
        var email = ApiClient.NewEmail();
        await client.RegisterAsync(email);
        await client.LoginAsync(ApiClient.NewEmail("warm-up"), "whatever password");

        var unknown = await MedianLoginTimeAsync(client, () => ApiClient.NewEmail("nobody"));
        var wrongPassword = await MedianLoginTimeAsync(client, () => email);

        Assert.True(wrongPassword > TimeSpan.FromMilliseconds(20), $"a wrong password took {wrongPassword}: is BCrypt at cost 12?");
        Assert.InRange(unknown / wrongPassword, 0.5, 2.0);
    }

    private static async Task<TimeSpan> MedianLoginTimeAsync(HttpClient client, Func<string> email)
    {
        var times = new List<TimeSpan>();
        for (var i = 0; i < 5; i++)
        {
            var stopwatch = Stopwatch.StartNew();
            var response = await client.LoginAsync(email(), "not the password");
            times.Add(stopwatch.Elapsed);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        return times.Order().ElementAt(times.Count / 2);
    }
}
