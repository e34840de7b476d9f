using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Contoso.Orders.Api.Security.SigningKeys;
using Contoso.Orders.Api.Tests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Contoso.Orders.Api.Tests;

/// <summary>
/// Two replicas of the API, separate processes on one database with the same configuration, rotate from one key to
/// the next at a moment a few seconds after both are ready: no valid token is refused anywhere at any time.
/// </summary>
[Collection(ObservedProcessCollection.Name)]
public sealed class KeyRotationTests
{
    /// <summary>How long both replicas serve tokens of the previous key before the next key becomes active.</summary>
    private static readonly TimeSpan Before = TimeSpan.FromSeconds(4);

    [Fact]
    public async Task Tokens_of_either_replica_validate_on_both_and_at_another_service_throughout_a_rotation()
    {
        await using var database = await TestDatabase.CreateAsync();
        var previous = TestKey.Rsa();
        var next = TestKey.EcP256();
        var environment = new Dictionary<string, string?>(ApiProcess.AsEnvironment(ApiFactory.EmailSettings))
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Testing",
            ["Email__Smtp__Host"] = "smtp.example.com",
            ["Passkeys__RpId"] = Passkeys.PasskeyOrigins.RpId,
            ["Passkeys__Origins__0"] = Passkeys.PasskeyOrigins.Origin,
            ["ConnectionStrings__Postgres"] = database.ConnectionString,
            ["Jwt__Issuer"] = ApiFactory.Issuer,
            ["Jwt__SigningKeys__0__Pem"] = previous.Pem,
            ["Jwt__SigningKeys__1__Pem"] = next.Pem,
            ["Jwt__SigningKeys__1__Algorithm"] = SigningAlgorithms.ES256,
            // For the migration; the replicas get theirs once it is known when they start.
            ["Jwt__SigningKeys__1__ActiveFrom"] = DateTimeOffset.UtcNow.AddDays(1).ToString("O", CultureInfo.InvariantCulture),
            ["Auth__BcryptWorkFactor"] = "4",
            ["RateLimiting__PermitLimit"] = "100000",
        };
        var migrating = System.Diagnostics.Stopwatch.StartNew();
        var migrate = await ApiProcess.RunAsync(environment, "migrate");
        Assert.True(migrate.ExitCode == 0, migrate.StandardError);
        var (first, second, activation) = await StartBeforeActivationAsync(environment, migrating.Elapsed);
        await using var firstReplica = first;
        await using var secondReplica = second;
        await using var service = await ResourceServer.StartAsync(ApiFactory.Issuer, ApiFactory.Audience, new RoundRobinHandler(first.Address, second.Address));
        using var serviceClient = service.CreateClient();
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
                var token = await AccessTokenAsync(replica.Client, email);
                issued.Add((new JsonWebToken(token).IssuedAt, token));
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
        // By each token's own issue time (iat, whole seconds, read from the clock that chose the key): a token issued
        // in the second before the activation may carry either key.
        Assert.All(kids.Where(entry => entry.At.AddSeconds(1) <= activation), entry => Assert.Equal(previous.Thumbprint, entry.Kid));
        Assert.All(kids.Where(entry => entry.At >= activation), entry => Assert.Equal(next.Thumbprint, entry.Kid));
        Assert.Equal(await PublishedKidsAsync(first.Client), await PublishedKidsAsync(second.Client));
        Assert.Equal([previous.Thumbprint, next.Thumbprint], await PublishedKidsAsync(first.Client));
    }

    /// <summary>
    /// Starts both replicas with the next key active <see cref="Before"/> after they are both ready. The activation is
    /// configuration, so it is chosen before the processes start: from how long the migration's process took on this
    /// machine just now (a start does about the same work), and when a start took longer than that, from twice the
    /// start-up just measured, until both are ready in time.
    /// </summary>
    private static async Task<(ServingApi First, ServingApi Second, DateTimeOffset Activation)> StartBeforeActivationAsync(
        Dictionary<string, string?> environment, TimeSpan migration)
    {
        var startUp = 2 * migration + TimeSpan.FromSeconds(1);
        for (var attempt = 1; ; attempt++)
        {
            var started = DateTimeOffset.UtcNow;
            // Half past a second: a token's whole-second iat is then never the activation itself.
            var activation = started + startUp + Before;
            activation = activation.AddTicks(-(activation.Ticks % TimeSpan.TicksPerSecond)).AddMilliseconds(500);
            environment["Jwt__SigningKeys__1__ActiveFrom"] = activation.ToString("O", CultureInfo.InvariantCulture);
            var replicas = await Task.WhenAll(ServingApi.StartAsync(environment, "/health/ready"), ServingApi.StartAsync(environment, "/health/ready"));
            var (first, second) = (replicas[0], replicas[1]);
            var ready = DateTimeOffset.UtcNow;
            if (activation - ready >= Before / 2)
            {
                return (first, second, activation);
            }

            await first.DisposeAsync();
            await second.DisposeAsync();
            Assert.True(attempt < 4, $"Three starts of the replicas each took longer than twice the one before (the last {(ready - started).TotalSeconds:F1} s).");
            startUp = 2 * (ready - started);
        }
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
