using Contoso.Orders.Api.Configuration;
using Microsoft.Extensions.Options;

namespace Contoso.Orders.Api.Security;

/// <summary>BCrypt hashing at the configured work factor.</summary>
public class PasswordHasher(IOptions<AuthSettings> settings)
{
    private readonly int _workFactor = settings.Value.BcryptWorkFactor;
    private string? _dummyHash;

    public virtual string Hash(string password) => BCrypt.Net.BCrypt.HashPassword(password, _workFactor);

    /// <summary>False for an account without a password, after the time a verification takes.</summary>
    public virtual bool Verify(string password, string? hash)
    {
        if (hash is null)
        {
            VerifyAgainstDummy(password);
            return false;
        }

        return BCrypt.Net.BCrypt.Verify(password, hash);
    }

    /// <summary>
    /// Spends the time of one verification when there is no hash to verify against (unknown email), so that response
    /// times do not tell which accounts exist.
    /// </summary>
    public virtual void VerifyAgainstDummy(string password)
    {
        _dummyHash ??= BCrypt.Net.BCrypt.HashPassword(Guid.NewGuid().ToString("N"), _workFactor);
        BCrypt.Net.BCrypt.Verify(password, _dummyHash);
    }

    /// <summary>True when the hash was made at another work factor than the configured one.</summary>
    public bool NeedsRehash(string hash) => BCrypt.Net.BCrypt.PasswordNeedsRehash(hash, _workFactor);
}
