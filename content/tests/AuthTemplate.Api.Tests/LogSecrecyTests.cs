using System.Net;
#if (RefreshTokens)
using System.Net.Http.Json;
#endif
using AuthTemplate.Api.Tests.Infrastructure;

namespace AuthTemplate.Api.Tests;

/// <summary>Security checklist point 24: no password, token, signing key or database password in the logs.</summary>
[Collection(ApiCollection.Name)]
public sealed class LogSecrecyTests(ApiFactory api)
{
    [Fact]
    public async Task A_whole_session_logged_at_every_level_leaks_no_secret()
    {
        await using var app = api.WithSettings(new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = "Trace" });
        using var client = app.CreateClient();
        const string wrongPassword = "wrong-password-that-must-not-be-logged";
        const string newPassword = "new-password-that-must-not-be-logged";

        var (email, tokens) = await client.RegisterAndLoginAsync();
        var accessToken = tokens.GetProperty("accessToken").GetString()!;
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.LoginAsync(email, wrongPassword)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetMeAsync(accessToken)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetMeAsync(accessToken + "tampered")).StatusCode);
        var secrets = new List<Secret> { new(ApiClient.Password), new(wrongPassword), new(newPassword), new(accessToken), new(accessToken.Split('.')[2]), new(api.RsaKey.Pem) };
        if (Secret.OfDatabase(TestDatabase.ServerConnectionString) is { } databasePassword)
        {
            secrets.Add(databasePassword);
        }

#if (RefreshTokens)
        var refreshToken = tokens.GetProperty("refreshToken").GetString()!;
        secrets.Add(new Secret(refreshToken));
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/api/v1/auth/refresh", new { refreshToken })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsJsonAsync("/api/v1/auth/refresh", new { refreshToken })).StatusCode);
#endif
        Assert.Equal(HttpStatusCode.NoContent, (await client.ChangePasswordAsync(accessToken, ApiClient.Password, newPassword)).StatusCode);

        var logs = api.Logs.Text;
        Assert.NotEmpty(logs);
        Assert.All(secrets, secret => Assert.False(secret.AppearsIn(logs), $"{secret} appears in the logs."));
    }
}
