using System.Net;
using Contoso.Orders.Api.Security.SigningKeys;
using Contoso.Orders.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Contoso.Orders.Api.Tests;

/// <summary>Security checklist points 1 to 5: how access tokens are made and which ones are refused, with either algorithm.</summary>
[Collection(ApiCollection.Name)]
public sealed class AccessTokenTests(ApiFactory api)
{
    public static TheoryData<string> Algorithms => new(SigningAlgorithms.Supported);

    [Theory]
    [MemberData(nameof(Algorithms))]
    public async Task An_access_token_is_an_at_jwt_signed_with_the_configured_key_carrying_every_required_claim_for_15_minutes(string algorithm)
    {
        using var client = api.ForAlgorithm(algorithm).CreateClient();
        var (email, tokens) = await client.RegisterAndLoginAsync();

        var token = new JsonWebToken(tokens.GetProperty("accessToken").GetString());

        Assert.Equal(algorithm, token.Alg);
        Assert.Equal(api.Key(algorithm).Thumbprint, token.Kid);
        Assert.Equal("at+jwt", token.Typ);
        Assert.Equal(ApiFactory.Issuer, token.Issuer);
        Assert.Equal([ApiFactory.Audience], token.Audiences);
        Assert.True(Guid.TryParse(token.Subject, out _));
        Assert.Equal(email, token.GetPayloadValue<string>("email"));
        Assert.False(string.IsNullOrEmpty(token.Id));
        foreach (var claim in new[] { "iat", "nbf", "exp" })
        {
            Assert.True(token.TryGetPayloadValue<long>(claim, out _), $"the token carries {claim}");
        }

        Assert.Equal(TimeSpan.FromMinutes(15), token.ValidTo - token.IssuedAt);
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public async Task A_hand_made_token_valid_in_every_respect_is_accepted(string algorithm)
    {
        using var client = api.ForAlgorithm(algorithm).CreateClient();
        var userId = await NewUserIdAsync(client);

        var response = await client.GetMeAsync(Tokens(algorithm).Create(userId));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static readonly string[] Flaws =
    [
        "alg none",
        "HS256 keyed with the published public key",
        "another key under our kid",
        "a key the API never published",
        "without kid",
        "another algorithm with our key",
        "the other algorithm's key",
        "wrong issuer",
        "issuer with a trailing slash",
        "wrong audience",
        "expired beyond the 30 second skew",
        "not valid yet beyond the skew",
        "without typ",
        "with typ JWT",
        "without nbf",
        "for a user that does not exist",
        "garbage",
        "tampered payload",
    ];

    public static TheoryData<string, string> RefusedTokens
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var algorithm in SigningAlgorithms.Supported)
            {
                foreach (var flaw in Flaws)
                {
                    data.Add(algorithm, flaw);
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(RefusedTokens))]
    public async Task Me_answers_401_with_a_bearer_challenge_for_a_token(string algorithm, string flaw)
    {
        using var client = api.ForAlgorithm(algorithm).CreateClient();
        var userId = await NewUserIdAsync(client);
        var tokens = Tokens(algorithm);
        var ours = api.Key(algorithm);
        var now = DateTimeOffset.UtcNow;
        var token = flaw switch
        {
            "alg none" => tokens.CreateUnsigned(userId),
            "HS256 keyed with the published public key" => tokens.CreateHs256WithThePublicKey(userId),
            "another key under our kid" => tokens.Create(userId, key: TestKey.Create(algorithm, kid: ours.Kid)),
            "a key the API never published" => tokens.Create(userId, key: TestKey.Create(algorithm)),
            "without kid" => tokens.Create(userId, withKid: false),
            "another algorithm with our key" => tokens.Create(userId, algorithm: algorithm == SigningAlgorithms.RS256 ? SecurityAlgorithms.RsaSsaPssSha256 : SecurityAlgorithms.EcdsaSha384),
            "the other algorithm's key" => tokens.Create(userId, key: api.Key(algorithm == SigningAlgorithms.RS256 ? SigningAlgorithms.ES256 : SigningAlgorithms.RS256)),
            "wrong issuer" => tokens.Create(userId, issuer: "https://someone-else.test"),
            "issuer with a trailing slash" => tokens.Create(userId, issuer: ApiFactory.Issuer + "/"),
            "wrong audience" => tokens.Create(userId, audience: "another-api"),
            "expired beyond the 30 second skew" => tokens.Create(userId, notBefore: now.AddMinutes(-10), expires: now.AddSeconds(-45)),
            "not valid yet beyond the skew" => tokens.Create(userId, notBefore: now.AddSeconds(45), expires: now.AddMinutes(10)),
            "without typ" => tokens.Create(userId, tokenType: null),
            "with typ JWT" => tokens.Create(userId, tokenType: "JWT"),
            "without nbf" => tokens.Create(userId, withNotBefore: false),
            "for a user that does not exist" => tokens.Create(Guid.NewGuid()),
            "garbage" => "not.a.token",
            "tampered payload" => Tamper(tokens.Create(userId)),
            _ => throw new ArgumentOutOfRangeException(nameof(flaw)),
        };

        var response = await client.GetMeAsync(token);

        await response.AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public async Task A_token_expired_less_than_the_skew_ago_is_still_accepted(string algorithm)
    {
        using var client = api.ForAlgorithm(algorithm).CreateClient();
        var userId = await NewUserIdAsync(client);
        var now = DateTimeOffset.UtcNow;

        var response = await client.GetMeAsync(Tokens(algorithm).Create(userId, notBefore: now.AddMinutes(-10), expires: now.AddSeconds(-10)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>
    /// A token's verified signature is remembered (<see cref="Security.VerifiedSignatures"/>), but only the signature:
    /// the same token is still refused once it expires, and a token differing in any byte is verified afresh.
    /// </summary>
    [Theory]
    [MemberData(nameof(Algorithms))]
    public async Task A_token_verified_before_is_still_refused_once_expired_and_a_changed_copy_is_verified_afresh(string algorithm)
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var app = api.ForAlgorithm(algorithm).WithWebHostBuilder(builder => builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(clock)));
        using var client = app.CreateClient();
        var userId = await NewUserIdAsync(client);
        var now = clock.GetUtcNow();
        var token = Tokens(algorithm).Create(userId, notBefore: now.AddMinutes(-1), expires: now.AddMinutes(2));

        Assert.Equal(HttpStatusCode.OK, (await client.GetMeAsync(token)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetMeAsync(token)).StatusCode);
        await (await client.GetMeAsync(Tamper(token))).AssertProblemAsync(HttpStatusCode.Unauthorized);
        clock.Advance(TimeSpan.FromMinutes(2) + Configuration.JwtSettings.ClockSkew + TimeSpan.FromSeconds(1));
        await (await client.GetMeAsync(token)).AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    /// <summary>
    /// A token whose signature is remembered is validated from its first reading (<see cref="Security.RememberedTokenHandler"/>):
    /// presented again it is not read again, and it is still refused once it expires.
    /// </summary>
    [Theory]
    [MemberData(nameof(Algorithms))]
    public async Task A_token_presented_again_is_not_read_again_and_is_still_refused_once_expired(string algorithm)
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var reads = 0;
        await using var app = api.ForAlgorithm(algorithm).WithWebHostBuilder(builder => builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<TimeProvider>(clock);
            services.PostConfigure<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme, options =>
                options.TokenValidationParameters.TokenReader = (token, _) =>
                {
                    Interlocked.Increment(ref reads);
                    return new JsonWebToken(token);
                });
        }));
        using var client = app.CreateClient();
        var userId = await NewUserIdAsync(client);
        var now = clock.GetUtcNow();
        var token = Tokens(algorithm).Create(userId, notBefore: now.AddMinutes(-1), expires: now.AddMinutes(2));
        var readsBefore = Volatile.Read(ref reads);

        Assert.Equal(HttpStatusCode.OK, (await client.GetMeAsync(token)).StatusCode);
        var readsOfFirstSight = Volatile.Read(ref reads) - readsBefore;
        Assert.Equal(HttpStatusCode.OK, (await client.GetMeAsync(token)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetMeAsync(token)).StatusCode);
        Assert.True(readsOfFirstSight > 0, "the token was read when first seen");
        Assert.Equal(readsBefore + readsOfFirstSight, Volatile.Read(ref reads));

        clock.Advance(TimeSpan.FromMinutes(2) + Configuration.JwtSettings.ClockSkew + TimeSpan.FromSeconds(1));
        await (await client.GetMeAsync(token)).AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.True(Volatile.Read(ref reads) > readsBefore + readsOfFirstSight, "the expired token was read afresh");
    }

    private TestTokens Tokens(string algorithm) => new(api.Key(algorithm));

    private static Task<Guid> NewUserIdAsync(HttpClient client) => client.RegisterUserAsync();

    /// <summary>Swaps the subject for another one while keeping the original signature.</summary>
    private static string Tamper(string token)
    {
        var parts = token.Split('.');
        var payload = Base64UrlEncoder.Decode(parts[1]).Replace("\"sub\":\"", "\"sub\":\"0", StringComparison.Ordinal);
        return $"{parts[0]}.{Base64UrlEncoder.Encode(payload)}.{parts[2]}";
    }
}
