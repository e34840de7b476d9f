using System.Net;
using AuthTemplate.Api.Tests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace AuthTemplate.Api.Tests;

/// <summary>Security checklist points 1 to 5: how access tokens are made and which ones are refused.</summary>
[Collection(ApiCollection.Name)]
public sealed class AccessTokenTests(ApiFactory api)
{
    private readonly HttpClient _client = api.CreateClient();
    private readonly TestTokens _tokens = new(api.SigningKey);

    [Fact]
    public async Task An_access_token_is_an_at_jwt_signed_with_HS256_carrying_every_required_claim_for_15_minutes()
    {
        var (email, tokens) = await _client.RegisterAndLoginAsync();

        var token = new JsonWebToken(tokens.GetProperty("accessToken").GetString());

        Assert.Equal("HS256", token.Alg);
        Assert.Equal("at+jwt", token.Typ);
        Assert.Equal("authtemplate", token.Issuer);
        Assert.Equal(["authtemplate"], token.Audiences);
        Assert.True(Guid.TryParse(token.Subject, out _));
        Assert.Equal(email, token.GetPayloadValue<string>("email"));
        Assert.False(string.IsNullOrEmpty(token.Id));
        foreach (var claim in new[] { "iat", "nbf", "exp" })
        {
            Assert.True(token.TryGetPayloadValue<long>(claim, out _), $"the token carries {claim}");
        }

        Assert.Equal(TimeSpan.FromMinutes(15), token.ValidTo - token.IssuedAt);
    }

    [Fact]
    public async Task A_hand_made_token_valid_in_every_respect_is_accepted()
    {
        var userId = await NewUserIdAsync();

        var response = await _client.GetMeAsync(_tokens.Create(userId));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    public static TheoryData<string> RefusedTokens => new()
    {
        "alg none",
        "another key",
        "another HMAC algorithm",
        "wrong issuer",
        "wrong audience",
        "expired beyond the 30 second skew",
        "not valid yet beyond the skew",
        "without typ",
        "with typ JWT",
        "without nbf",
        "for a user that does not exist",
        "garbage",
        "tampered payload",
    };

    [Theory]
    [MemberData(nameof(RefusedTokens))]
    public async Task Me_answers_401_with_a_bearer_challenge_for_a_token(string flaw)
    {
        var userId = await NewUserIdAsync();
        var now = DateTimeOffset.UtcNow;
        var token = flaw switch
        {
            "alg none" => _tokens.CreateUnsigned(userId),
            "another key" => _tokens.Create(userId, key: Convert.ToBase64String(Guid.NewGuid().ToByteArray()) + api.SigningKey),
            "another HMAC algorithm" => _tokens.Create(userId, algorithm: SecurityAlgorithms.HmacSha512, key: api.SigningKey + api.SigningKey),
            "wrong issuer" => _tokens.Create(userId, issuer: "someone-else"),
            "wrong audience" => _tokens.Create(userId, audience: "another-api"),
            "expired beyond the 30 second skew" => _tokens.Create(userId, notBefore: now.AddMinutes(-10), expires: now.AddSeconds(-45)),
            "not valid yet beyond the skew" => _tokens.Create(userId, notBefore: now.AddSeconds(45), expires: now.AddMinutes(10)),
            "without typ" => _tokens.Create(userId, tokenType: null),
            "with typ JWT" => _tokens.Create(userId, tokenType: "JWT"),
            "without nbf" => _tokens.Create(userId, withNotBefore: false),
            "for a user that does not exist" => _tokens.Create(Guid.NewGuid()),
            "garbage" => "not.a.token",
            "tampered payload" => Tamper(_tokens.Create(userId)),
            _ => throw new ArgumentOutOfRangeException(nameof(flaw)),
        };

        var response = await _client.GetMeAsync(token);

        await response.AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Fact]
    public async Task A_token_expired_less_than_the_skew_ago_is_still_accepted()
    {
        var userId = await NewUserIdAsync();
        var now = DateTimeOffset.UtcNow;

        var response = await _client.GetMeAsync(_tokens.Create(userId, notBefore: now.AddMinutes(-10), expires: now.AddSeconds(-10)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private Task<Guid> NewUserIdAsync() => _client.RegisterUserAsync();

    /// <summary>Swaps the subject for another one while keeping the original signature.</summary>
    private static string Tamper(string token)
    {
        var parts = token.Split('.');
        var payload = Base64UrlEncoder.Decode(parts[1]).Replace("\"sub\":\"", "\"sub\":\"0", StringComparison.Ordinal);
        return $"{parts[0]}.{Base64UrlEncoder.Encode(payload)}.{parts[2]}";
    }
}
