using Microsoft.IdentityModel.Tokens;

namespace Contoso.Auth_Api.Api.Security.SigningKeys;

/// <summary>
/// The asymmetric algorithms tokens are signed with. RS256 is the default: RFC 9068 makes it the one every resource
/// server supports, and it is the cheapest to verify. ES256 has the smaller keys and signatures and the cheaper signing.
/// </summary>
public static class SigningAlgorithms
{
    public const string RS256 = SecurityAlgorithms.RsaSha256;
    public const string ES256 = SecurityAlgorithms.EcdsaSha256;

    public static readonly IReadOnlyList<string> Supported = [RS256, ES256];
}
