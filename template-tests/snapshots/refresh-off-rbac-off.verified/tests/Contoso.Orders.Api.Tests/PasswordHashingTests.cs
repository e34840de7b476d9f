using System.Net;
using Contoso.Orders.Api.Configuration;
using Contoso.Orders.Api.Tests.Infrastructure;

namespace Contoso.Orders.Api.Tests;

/// <summary>Security checklist point 12: BCrypt at a configurable cost (point 11, timing, is in LoginTimingTests).</summary>
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
}
