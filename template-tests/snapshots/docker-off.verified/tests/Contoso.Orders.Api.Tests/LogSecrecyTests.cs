using System.Net;
using System.Text.Json.Nodes;
using Contoso.Orders.Api.Tests.Infrastructure;

namespace Contoso.Orders.Api.Tests;

/// <summary>Security checklist point 24: no password, token, signing key or database password in the logs.</summary>
[Collection(ApiCollection.Name)]
public sealed class LogSecrecyTests(ApiFactory api)
{
    [Fact]
    public async Task Every_endpoint_used_with_logging_at_every_level_leaks_no_secret()
    {
        await using var app = api.WithSettings(new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = "Trace" });
        using var client = app.CreateClient();
        const string wrongPassword = "wrong-password-that-must-not-be-logged";

        var (email, tokens) = await client.RegisterAndLoginAsync();
        var accessToken = tokens.GetProperty("accessToken").GetString()!;
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.LoginAsync(email, wrongPassword)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetMeAsync(accessToken)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetMeAsync(accessToken + "tampered")).StatusCode);
        var secrets = new List<Secret> { new(ApiClient.Password), new(wrongPassword), new(accessToken), new(accessToken.Split('.')[2]), new(api.RsaKey.Pem), new(api.EcKey.Pem) };
        if (Secret.OfDatabase(TestDatabase.ServerConnectionString) is { } databasePassword)
        {
            secrets.Add(databasePassword);
        }

        // Every endpoint that reads a body, with a request it accepts: the passwords and tokens going in and coming out.
        foreach (var endpoint in ApiFeatures.WithBody)
        {
            var request = await endpoint.Body!.ArrangeAsync(api, client);
            var response = await request.SendAsync(client, endpoint);
            Assert.Equal(request.Success, response.StatusCode);
            secrets.AddRange(SecretsIn(request.Body));
            if (response.Content.Headers.ContentType?.MediaType == "application/json")
            {
                secrets.AddRange(SecretsIn(JsonNode.Parse(await response.Content.ReadAsStringAsync()) as JsonObject));
            }
        }

        var logs = api.Logs.Text;
        Assert.NotEmpty(logs);
        Assert.All(secrets, secret => Assert.False(secret.AppearsIn(logs), $"{secret} appears in the logs."));
    }

    private static IEnumerable<Secret> SecretsIn(JsonObject? body) =>
        body is null
            ? []
            : body.Where(field => field.Value?.GetValueKind() == System.Text.Json.JsonValueKind.String
                    && (field.Key.Contains("password", StringComparison.OrdinalIgnoreCase) || field.Key.Contains("token", StringComparison.OrdinalIgnoreCase)))
                .Select(field => new Secret(field.Value!.GetValue<string>()))
                .Where(secret => secret.Value.Length >= 8); // "tokenType": "Bearer" is no secret
}
