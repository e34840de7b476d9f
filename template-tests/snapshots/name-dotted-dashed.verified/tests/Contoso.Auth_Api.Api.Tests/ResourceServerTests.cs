using System.Net;
using Contoso.Auth_Api.Api.Security.SigningKeys;
using Contoso.Auth_Api.Api.Tests.Infrastructure;
using Microsoft.IdentityModel.Tokens;

namespace Contoso.Auth_Api.Api.Tests;

/// <summary>
/// Another service verifies our tokens by itself, knowing only the API's address and the audience: it accepts what
/// the API issues and refuses everything security checklist point 1 and 2 refuse.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class ResourceServerTests(ApiFactory api)
{
    public static TheoryData<string> Algorithms => new(SigningAlgorithms.Supported);

    [Theory]
    [MemberData(nameof(Algorithms))]
    public async Task A_service_configured_with_only_the_authority_and_audience_accepts_a_token_the_api_issued(string algorithm)
    {
        var app = api.ForAlgorithm(algorithm);
        using var client = app.CreateClient();
        await using var service = await ResourceServer.StartAsync(ApiFactory.Issuer, ApiFactory.Audience, app.Server.CreateHandler());
        var token = await client.AccessTokenForNewUserAsync();

        var response = await service.CreateClient().SendAsync(Get(token));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    public static TheoryData<string> RefusedTokens => new()
    {
        "tampered",
        "for another audience",
        "alg none",
        "HS256 keyed with the published public key",
        "expired",
        "with typ JWT",
        "signed by a key the API never published",
    };

    [Theory]
    [MemberData(nameof(RefusedTokens))]
    public async Task That_service_refuses_a_token(string flaw)
    {
        using var client = api.CreateClient();
        await using var service = await ResourceServer.StartAsync(ApiFactory.Issuer, ApiFactory.Audience, api.Server.CreateHandler());
        var genuine = await client.AccessTokenForNewUserAsync();
        var userId = Guid.Parse(new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(genuine).Subject);
        var tokens = new TestTokens(api.RsaKey);
        // The genuine token first: the service has fetched our keys, so a refusal is the token's doing.
        Assert.Equal(HttpStatusCode.OK, (await service.CreateClient().SendAsync(Get(genuine))).StatusCode);
        var token = flaw switch
        {
            "tampered" => Tamper(genuine),
            "for another audience" => tokens.Create(userId, audience: "another-api"),
            "alg none" => tokens.CreateUnsigned(userId),
            "HS256 keyed with the published public key" => tokens.CreateHs256WithThePublicKey(userId),
            // Beyond the five minutes of clock skew JwtBearer allows by default.
            "expired" => tokens.Create(userId, notBefore: DateTimeOffset.UtcNow.AddMinutes(-30), expires: DateTimeOffset.UtcNow.AddMinutes(-10)),
            "with typ JWT" => tokens.Create(userId, tokenType: "JWT"),
            "signed by a key the API never published" => tokens.Create(userId, key: TestKey.Rsa()),
            _ => throw new ArgumentOutOfRangeException(nameof(flaw)),
        };

        var response = await service.CreateClient().SendAsync(Get(token));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    private static HttpRequestMessage Get(string token) => new HttpRequestMessage(HttpMethod.Get, ResourceServer.ProtectedPath).WithBearer(token);

    private static string Tamper(string token)
    {
        var parts = token.Split('.');
        var payload = Base64UrlEncoder.Decode(parts[1]).Replace("\"sub\":\"", "\"sub\":\"0", StringComparison.Ordinal);
        return $"{parts[0]}.{Base64UrlEncoder.Encode(payload)}.{parts[2]}";
    }
}
