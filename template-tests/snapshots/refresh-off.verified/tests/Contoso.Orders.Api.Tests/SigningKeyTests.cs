using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Contoso.Orders.Api.Security.SigningKeys;
using Contoso.Orders.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Contoso.Orders.Api.Tests;

/// <summary>Security checklist point 4 and the contract's "Signing keys": what is published, and when.</summary>
[Collection(ApiCollection.Name)]
public sealed class SigningKeyTests(ApiFactory api)
{
    private static readonly string[] PublicParameters = ["kty", "use", "kid", "alg", "n", "e", "crv", "x", "y"];
    private static readonly string[] PrivateParameters = ["d", "p", "q", "dp", "dq", "qi", "k", "oth"];

    public static TheoryData<string> Algorithms => new(SigningAlgorithms.Supported);

    [Theory]
    [MemberData(nameof(Algorithms))]
    public async Task The_jwk_set_publishes_the_key_with_only_public_parameters_use_sig_its_alg_and_its_thumbprint_as_kid(string algorithm)
    {
        using var client = api.ForAlgorithm(algorithm).CreateClient();
        var key = api.Key(algorithm);

        var response = await client.GetAsync(SigningKeyEndpoints.JwksPath);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AssertCacheableForAtMostFiveMinutes(response);
        var jwk = Assert.Single(await KeysAsync(response));
        Assert.Empty(jwk.EnumerateObject().Select(property => property.Name).Except(PublicParameters));
        Assert.Empty(jwk.EnumerateObject().Select(property => property.Name).Intersect(PrivateParameters));
        Assert.Equal("sig", jwk.GetProperty("use").GetString());
        Assert.Equal(algorithm, jwk.GetProperty("alg").GetString());
        Assert.Equal(key.Thumbprint, jwk.GetProperty("kid").GetString());
        Assert.Equal(key.PublicJwk.Kty, jwk.GetProperty("kty").GetString());
        if (algorithm == SigningAlgorithms.RS256)
        {
            Assert.Equal(key.PublicJwk.N, jwk.GetProperty("n").GetString());
            Assert.Equal(key.PublicJwk.E, jwk.GetProperty("e").GetString());
        }
        else
        {
            Assert.Equal("P-256", jwk.GetProperty("crv").GetString());
            Assert.Equal(key.PublicJwk.X, jwk.GetProperty("x").GetString());
            Assert.Equal(key.PublicJwk.Y, jwk.GetProperty("y").GetString());
        }
    }

    [Fact]
    public async Task Discovery_metadata_names_the_issuer_exactly_and_where_the_keys_are_without_a_token()
    {
        using var client = api.CreateClient();

        var response = await client.GetAsync(SigningKeyEndpoints.DiscoveryPath);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AssertCacheableForAtMostFiveMinutes(response);
        var metadata = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(ApiFactory.Issuer, metadata.GetProperty("issuer").GetString());
        Assert.Equal(ApiFactory.Issuer + "/.well-known/jwks.json", metadata.GetProperty("jwks_uri").GetString());
    }

    /// <summary>
    /// Key A signs until key B's activation time; B is published from the start, A until the last token it signed
    /// has expired (15 minutes, plus 30 seconds of clock skew), and A's tokens are accepted all that time.
    /// </summary>
    [Fact]
    public async Task A_rotation_publishes_the_next_key_before_it_signs_and_the_previous_one_until_its_last_token_expires()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var activation = clock.GetUtcNow().AddHours(1);
        var previous = api.RsaKey;
        var next = TestKey.EcP256(kid: "next-key");
        await using var app = api.WithWebHostBuilder(builder =>
        {
            builder.ConfigureAppConfiguration((_, configuration) => configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Jwt:SigningKeys:1:Pem"] = next.Pem,
                ["Jwt:SigningKeys:1:Kid"] = next.Kid,
                ["Jwt:SigningKeys:1:Algorithm"] = SigningAlgorithms.ES256,
                ["Jwt:SigningKeys:1:ActiveFrom"] = activation.ToString("O", CultureInfo.InvariantCulture),
            }));
            builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(clock));
        });
        using var client = app.CreateClient();
        var (email, _) = await client.RegisterAndLoginAsync();

        // Before: the previous key signs; both are published.
        Assert.Equal([previous.Kid, next.Kid], await PublishedKidsAsync(client));
        clock.SetUtcNow(activation.AddSeconds(-1));
        var lastOfPrevious = await AccessTokenAsync(client, email);
        Assert.Equal(previous.Kid, new JsonWebToken(lastOfPrevious).Kid);

        // During: the next key signs from its activation time on; the previous one is still published and accepted.
        clock.SetUtcNow(activation);
        var firstOfNext = await AccessTokenAsync(client, email);
        Assert.Equal(next.Kid, new JsonWebToken(firstOfNext).Kid);
        Assert.Equal(SigningAlgorithms.ES256, new JsonWebToken(firstOfNext).Alg);
        clock.SetUtcNow(activation.AddMinutes(15).AddSeconds(28));
        Assert.Equal([previous.Kid, next.Kid], await PublishedKidsAsync(client));
        Assert.Equal(HttpStatusCode.OK, (await client.GetMeAsync(lastOfPrevious)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetMeAsync(firstOfNext)).StatusCode);

        // After: every token of the previous key has expired, and the key is gone.
        clock.SetUtcNow(activation.AddMinutes(15).AddSeconds(31));
        Assert.Equal([next.Kid], await PublishedKidsAsync(client));
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetMeAsync(lastOfPrevious)).StatusCode);
        var later = await AccessTokenAsync(client, email);
        Assert.Equal(next.Kid, new JsonWebToken(later).Kid);
        Assert.Equal(HttpStatusCode.OK, (await client.GetMeAsync(later)).StatusCode);
    }

    private static void AssertCacheableForAtMostFiveMinutes(HttpResponseMessage response)
    {
        var cacheControl = response.Headers.CacheControl;
        Assert.NotNull(cacheControl);
        Assert.True(cacheControl.Public);
        Assert.InRange(cacheControl.MaxAge!.Value, TimeSpan.Zero, TimeSpan.FromMinutes(5));
    }

    private static async Task<List<JsonElement>> KeysAsync(HttpResponseMessage response)
    {
        var set = await response.Content.ReadFromJsonAsync<JsonElement>();
        var keys = set.GetProperty("keys").EnumerateArray().ToList();
        Assert.Equal(keys.Count, keys.Select(key => key.GetProperty("kid").GetString()).Distinct().Count());
        return keys;
    }

    private static async Task<List<string?>> PublishedKidsAsync(HttpClient client) =>
        [.. (await KeysAsync(await client.GetAsync(SigningKeyEndpoints.JwksPath))).Select(key => key.GetProperty("kid").GetString())];

    private static async Task<string> AccessTokenAsync(HttpClient client, string email)
    {
        var login = await client.LoginAsync(email);
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        return (await login.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString()!;
    }
}
