using System.Net;
using Contoso.Orders.Api.Tests.Infrastructure;
using Npgsql;

namespace Contoso.Orders.Api.Tests;

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
        var databasePassword = new NpgsqlConnectionStringBuilder(TestDatabase.ServerConnectionString).Password;
        var secrets = new List<string?> { ApiClient.Password, wrongPassword, newPassword, accessToken, accessToken.Split('.')[2], api.SigningKey, databasePassword };
        Assert.Equal(HttpStatusCode.NoContent, (await client.ChangePasswordAsync(accessToken, ApiClient.Password, newPassword)).StatusCode);

        var logs = api.Logs.Text;
        Assert.NotEmpty(logs);
        foreach (var secret in secrets.Where(s => !string.IsNullOrEmpty(s)))
        {
            Assert.False(logs.Contains(secret!, StringComparison.Ordinal), "A secret appears in the logs.");
        }
    }
}
