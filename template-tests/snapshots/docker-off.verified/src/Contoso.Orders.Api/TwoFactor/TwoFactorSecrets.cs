using Microsoft.AspNetCore.DataProtection;

namespace Contoso.Orders.Api.TwoFactor;

/// <summary>
/// Encrypts authenticator secrets at rest with ASP.NET Core Data Protection, whose keys are kept in PostgreSQL (see
/// <see cref="KeyRing"/>) so that every replica can read what any replica wrote. A database dump alone holds both the
/// keys and the secrets; what this buys is that the secrets appear in no query result, log or backup of one table.
/// </summary>
public sealed class TwoFactorSecrets(IDataProtectionProvider protection)
{
    // The purpose string isolates these payloads from anything else the app protects; changing it loses every secret.
    private readonly IDataProtector _protector = protection.CreateProtector("TwoFactor.AuthenticatorSecret.v1");

    public string Protect(byte[] secret) => _protector.Protect(Convert.ToBase64String(secret));

    public byte[] Unprotect(string protectedSecret) => Convert.FromBase64String(_protector.Unprotect(protectedSecret));
}
