using System.Security.Cryptography;
using System.Text;
using Contoso.Auth_Api.Api.Data;
using Microsoft.EntityFrameworkCore;

namespace Contoso.Auth_Api.Api.TwoFactor;

public enum CodeCheck
{
    Wrong,
    AuthenticatorCode,
    RecoveryCode,
}

/// <summary>
/// Checks a code a user typed, and spends it: an authenticator code's time step is never accepted again for the
/// account, and a recovery code works once. Each spend is one statement that only one of two concurrent requests can
/// win, so the same code sent twice at once is accepted once.
/// </summary>
public sealed class TwoFactorCodes(AppDbContext db, TwoFactorSecrets secrets, TimeProvider time)
{
    /// <summary>The key under which wrong codes and passwords given to the two-factor endpoints count (see <see cref="Auth.LoginThrottle"/>).</summary>
    public static byte[] ThrottleKey(Guid userId) => SHA256.HashData(Encoding.UTF8.GetBytes($"two-factor:{userId}"));

    /// <summary>
    /// Spends <paramref name="code"/>: six digits are taken for an authenticator code (the pending authenticator's
    /// too, for enabling), twelve letters and digits for a recovery code.
    /// </summary>
    public async Task<CodeCheck> SpendAsync(Guid userId, string code, CancellationToken cancellationToken)
    {
        code = code.Trim();
        if (AuthenticatorCodes.LooksLikeCode(code))
        {
            var protectedSecret = await db.Set<Authenticator>().Where(a => a.UserId == userId).Select(a => a.ProtectedSecret).SingleOrDefaultAsync(cancellationToken);
            if (protectedSecret is null || AuthenticatorCodes.MatchingStep(secrets.Unprotect(protectedSecret), code, time.GetUtcNow()) is not { } step)
            {
                return CodeCheck.Wrong;
            }

            // Only a step later than the last one accepted moves it: a replayed code, or an older one, matches no row.
            var spent = await db.Set<Authenticator>()
                .Where(a => a.UserId == userId && (a.LastUsedStep == null || a.LastUsedStep < step))
                .ExecuteUpdateAsync(update => update.SetProperty(a => a.LastUsedStep, step), cancellationToken);
            return spent == 1 ? CodeCheck.AuthenticatorCode : CodeCheck.Wrong;
        }

        if (RecoveryCodes.Normalize(code) is { } recoveryCode)
        {
            var stored = await db.Set<RecoveryCode>().Where(c => c.UserId == userId).Select(c => new { c.Id, c.CodeHash }).ToListAsync(cancellationToken);
            if (stored.FirstOrDefault(c => RecoveryCodes.Matches(recoveryCode, c.CodeHash)) is not { } match)
            {
                return CodeCheck.Wrong;
            }

            var spent = await db.Set<RecoveryCode>().Where(c => c.Id == match.Id).ExecuteDeleteAsync(cancellationToken);
            return spent == 1 ? CodeCheck.RecoveryCode : CodeCheck.Wrong;
        }

        return CodeCheck.Wrong;
    }

    public Task<int> RecoveryCodesLeftAsync(Guid userId, CancellationToken cancellationToken) =>
        db.Set<RecoveryCode>().CountAsync(c => c.UserId == userId, cancellationToken);
}
