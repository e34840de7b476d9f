using Contoso.Orders.Api.Security.SigningKeys;

namespace Contoso.Orders.Api.Configuration;

public sealed class JwtSettings
{
    public const string Section = "Jwt";

    /// <summary>How far a validator's clock may be from ours (the JwtBearer default of 5 minutes is far too generous).</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(30);

    /// <summary>The API's public base URL, exactly as clients reach it: the <c>iss</c> of every token and of the discovery metadata.</summary>
    public string Issuer { get; set; } = "";

    public string Audience { get; set; } = "";

    /// <summary>The algorithm of every signing key that does not name its own: RS256 or ES256.</summary>
    public string Algorithm { get; set; } = SigningAlgorithms.RS256;

    public int AccessTokenMinutes { get; set; } = 15;

    /// <summary>The signing keys, each with the moment it becomes the one that signs (see Security/SigningKeys).</summary>
    public List<SigningKeySettings> SigningKeys { get; set; } = [];

    /// <summary>Where Development keeps the key it generates when none is configured; under the user's profile by default.</summary>
    public string? DevelopmentKeyDirectory { get; set; }

    public TimeSpan AccessTokenLifetime => TimeSpan.FromMinutes(AccessTokenMinutes);
}
