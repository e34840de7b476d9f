using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Contoso.Auth_Api.Api.Security.SigningKeys;
using Contoso.Auth_Api.Api.Tests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Contoso.Auth_Api.Api.Tests;

/// <summary>
/// Two replicas of the API, separate processes on one database with the same configuration, rotate from one key to
/// the next at a moment a few seconds away: no valid token is refused anywhere at any time.
/// </summary>
public sealed class KeyRotationTests : IClassFixture<KeyRotationTests.Finished>
{
    public const string Group = "key-rotation";

    public sealed class Finished() : FinishedMarker(Group);

    /// <summary>Long enough for both processes to start on a busy machine, short enough for a test.</summary>
    private static readonly TimeSpan ActivationDelay = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Tokens_of_either_replica_validate_on_both_and_at_another_service_throughout_a_rotation()
    {
        await using var database = await TestDatabase.CreateAsync();
        var previous = TestKey.Rsa();
        var next = TestKey.EcP256();
        var activation = DateTimeOffset.UtcNow + ActivationDelay;
        var environment = new Dictionary<string, string?>(ApiProcess.AsEnvironment(ApiFactory.EmailSettings))
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Testing",
            ["Email__Smtp__Host"] = "smtp.example.com",
            ["ConnectionStrings__Postgres"] = database.ConnectionString,
            ["Jwt__Issuer"] = ApiFactory.Issuer,
            ["Jwt__SigningKeys__0__Pem"] = previous.Pem,
            ["Jwt__SigningKeys__1__Pem"] = next.Pem,
            ["Jwt__SigningKeys__1__Algorithm"] = SigningAlgorithms.ES256,
            ["Jwt__SigningKeys__1__ActiveFrom"] = activation.ToString("O", CultureInfo.InvariantCulture),
            ["Auth__BcryptWorkFactor"] = "4",
            ["RateLimiting__PermitLimit"] = "100000",
        };
        var migrate = await ApiProcess.RunAsync(environment, "migrate");
        Assert.True(migrate.ExitCode == 0, migrate.StandardError);
        await using var first = await ApiServer.StartAsync(environment);
        await using var second = await ApiServer.StartAsync(environment);
        await using var service = await ResourceServer.StartAsync(ApiFactory.Issuer, ApiFactory.Audience, new RoundRobinHandler(first.Address, second.Address));
        using var serviceClient = service.CreateClient();
        Assert.True(DateTimeOffset.UtcNow < activation - TimeSpan.FromSeconds(5), "The replicas took too long to start: the rotation would not be seen from both sides.");
        var email = ApiClient.NewEmail();
        Assert.Equal(HttpStatusCode.Accepted, (await first.Client.RegisterAsync(email)).StatusCode);
        // Confirmed through SQL: this test is about tokens, not the email flows.
        await database.ExecuteAsync($"UPDATE users SET email_confirmed = true WHERE normalized_email = '{email}'");

        var issued = new List<(DateTimeOffset At, string Token)>();
        var refused = new List<string>();
        while (DateTimeOffset.UtcNow < activation + TimeSpan.FromSeconds(4))
        {
            foreach (var replica in new[] { first, second })
            {
                var before = DateTimeOffset.UtcNow;
                issued.Add((before, await AccessTokenAsync(replica.Client, email)));
            }

            // The first token of all (the previous key's oldest), and the newest ones, everywhere.
            foreach (var (at, token) in issued.Take(1).Concat(issued.TakeLast(2)))
            {
                foreach (var (where, status) in new[]
                {
                    ("first replica", (await first.Client.GetMeAsync(token)).StatusCode),
                    ("second replica", (await second.Client.GetMeAsync(token)).StatusCode),
                    ("the other service", (await serviceClient.SendAsync(new HttpRequestMessage(HttpMethod.Get, ResourceServer.ProtectedPath).WithBearer(token))).StatusCode),
                })
                {
                    if (status != HttpStatusCode.OK)
                    {
                        refused.Add($"{where} answered {(int)status} for a token of kid {new JsonWebToken(token).Kid} issued {(at - activation).TotalSeconds:F1} s from the activation");
                    }
                }
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500));
        }

        Assert.Empty(refused);
        var kids = issued.Select(entry => (entry.At, Kid: new JsonWebToken(entry.Token).Kid)).ToList();
        Assert.Contains(kids, entry => entry.Kid == previous.Thumbprint);
        Assert.Contains(kids, entry => entry.Kid == next.Thumbprint);
        // Each replica's clock may differ from the test's by the time a request takes: a margin of a second.
        Assert.All(kids.Where(entry => entry.At < activation - TimeSpan.FromSeconds(1)), entry => Assert.Equal(previous.Thumbprint, entry.Kid));
        Assert.All(kids.Where(entry => entry.At > activation + TimeSpan.FromSeconds(1)), entry => Assert.Equal(next.Thumbprint, entry.Kid));
        Assert.Equal(await PublishedKidsAsync(first.Client), await PublishedKidsAsync(second.Client));
        Assert.Equal([previous.Thumbprint, next.Thumbprint], await PublishedKidsAsync(first.Client));
    }

    private static async Task<string> AccessTokenAsync(HttpClient client, string email)
    {
        var login = await client.LoginAsync(email);
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        var token = (await login.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString()!;
        TestRun.RememberSecret(token);
        return token;
    }

    private static async Task<List<string?>> PublishedKidsAsync(HttpClient client)
    {
        var set = await client.GetFromJsonAsync<JsonElement>(SigningKeyEndpoints.JwksPath);
        return [.. set.GetProperty("keys").EnumerateArray().Select(key => key.GetProperty("kid").GetString())];
    }
}
