namespace Contoso.Orders.Api.Security;

/// <summary>Claim names as they appear in the access token; inbound claims are not renamed.</summary>
public static class AppClaims
{
    public const string Subject = "sub";
    public const string Email = "email";
    public const string Role = "role";
}
