using System.Text.Json.Serialization;
using Contoso.Orders.Api.Configuration;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Contoso.Orders.Api.Security.SigningKeys;

/// <summary>
/// What another service needs to verify our tokens by itself: the JWK Set of the published public keys, and minimal
/// discovery metadata (the issuer and where the keys are) so that ASP.NET Core's JwtBearer needs only an Authority.
/// This API is no OpenID provider: the metadata says no more than that. Both are anonymous, and left out of the
/// OpenAPI document, which describes the /api/v1 endpoints: these are described by RFC 7517 and OpenID Connect
/// Discovery.
/// </summary>
public static class SigningKeyEndpoints
{
    public const string JwksPath = "/.well-known/jwks.json";
    public const string DiscoveryPath = "/.well-known/openid-configuration";

    /// <summary>
    /// How long validators and proxies may cache either document: a new key must be published at least this long
    /// before it signs (see README.md, Rotating the signing key).
    /// </summary>
    private const string CacheControl = "public, max-age=300";

    public static IEndpointRouteBuilder MapSigningKeyEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(JwksPath, GetJwks).AllowAnonymous().ExcludeFromDescription();
        endpoints.MapGet(DiscoveryPath, GetDiscovery).AllowAnonymous().ExcludeFromDescription();
        return endpoints;
    }

    private static JsonHttpResult<JwkSet> GetJwks(SigningKeyRing ring, HttpResponse response)
    {
        response.Headers.CacheControl = CacheControl;
        return TypedResults.Json(new JwkSet([.. ring.Published.Select(key => key.Jwk)]));
    }

    private static JsonHttpResult<DiscoveryDocument> GetDiscovery(IOptions<JwtSettings> jwt, HttpResponse response)
    {
        response.Headers.CacheControl = CacheControl;
        // Built from the configured issuer, never from the request's Host header, which the client chooses.
        var issuer = jwt.Value.Issuer;
        return TypedResults.Json(new DiscoveryDocument(issuer, issuer.TrimEnd('/') + JwksPath));
    }

    public sealed record JwkSet([property: JsonPropertyName("keys")] IReadOnlyList<PublicJwk> Keys);

    public sealed record DiscoveryDocument(
        [property: JsonPropertyName("issuer")] string Issuer,
        [property: JsonPropertyName("jwks_uri")] string JwksUri);
}
