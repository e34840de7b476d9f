using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using AuthTemplate.Api.Tests.Infrastructure;
using Microsoft.IdentityModel.Tokens;

namespace AuthTemplate.Api.Tests.RefreshTokens;

/// <summary>The refresh-token endpoints, for the tests that cover every endpoint.</summary>
public sealed class RefreshTokensFeature : IApiFeature
{
    /// <summary>Shaped like a refresh token (256 bits, base64url), and issued to no one.</summary>
    private static readonly string UnknownToken = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));

    public IEnumerable<ApiEndpoint> Endpoints =>
    [
        new("POST", "/api/v1/auth/refresh", Anonymous: true, new RequestBody(
            [BodyField.LookedUp("refreshToken", UnknownToken)],
            (_, client) => WithALiveRefreshTokenAsync(client, "/api/v1/auth/refresh", HttpStatusCode.OK))),
        new("POST", "/api/v1/auth/logout", Anonymous: true, new RequestBody(
            [BodyField.LookedUp("refreshToken", UnknownToken)],
            (_, client) => WithALiveRefreshTokenAsync(client, "/api/v1/auth/logout", HttpStatusCode.NoContent))),
        new("POST", "/api/v1/auth/logout-all", Anonymous: false),
        new("GET", "/api/v1/users/me/sessions", Anonymous: false),
        new("DELETE", "/api/v1/users/me/sessions/{id}", Anonymous: false),
    ];

    private static async Task<GoodRequest> WithALiveRefreshTokenAsync(HttpClient client, string path, HttpStatusCode success)
    {
        var (_, tokens) = await client.RegisterAndLoginAsync();
        return new GoodRequest(path, null, new JsonObject { ["refreshToken"] = tokens.GetProperty("refreshToken").GetString() }, success);
    }
}
