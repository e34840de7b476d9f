using Microsoft.IdentityModel.Tokens;

namespace Contoso.Orders.Api.Configuration;

public sealed class JwtSettings
{
    public const string Section = "Jwt";

    /// <summary>HMAC key, read as UTF-8 bytes: at least as long as the algorithm's hash (32 bytes for HS256).</summary>
    public string SigningKey { get; set; } = "";

    public string Issuer { get; set; } = "";

    public string Audience { get; set; } = "";

    public string Algorithm { get; set; } = "HS256";

    public int AccessTokenMinutes { get; set; } = 15;

    /// <summary>The algorithm as IdentityModel names it; null for anything but HS256, HS384 and HS512.</summary>
    public string? SecurityAlgorithm => Algorithm switch
    {
        "HS256" => SecurityAlgorithms.HmacSha256,
        "HS384" => SecurityAlgorithms.HmacSha384,
        "HS512" => SecurityAlgorithms.HmacSha512,
        _ => null,
    };

    /// <summary>RFC 7518 3.2: the key must be at least as long as the hash output.</summary>
    public int MinimumKeyBytes => Algorithm switch
    {
        "HS384" => 48,
        "HS512" => 64,
        _ => 32,
    };

    public SymmetricSecurityKey CreateSigningKey() => new(System.Text.Encoding.UTF8.GetBytes(SigningKey));
}
