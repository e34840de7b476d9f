using AuthTemplate.Api.Data;
#if (RefreshTokens)
using AuthTemplate.Api.RefreshTokens;
#endif
using AuthTemplate.Api.Security;
using Microsoft.EntityFrameworkCore;

namespace AuthTemplate.Api.Users;

#if (RefreshTokens)
public sealed class UserService(AppDbContext db, PasswordHasher passwords, RefreshTokenStore refreshTokens)
#else
public sealed class UserService(AppDbContext db, PasswordHasher passwords)
#endif
{
    /// <summary>False when the current password is wrong; nothing changes then.</summary>
    public async Task<bool> ChangePasswordAsync(Guid userId, string currentPassword, string newPassword, CancellationToken cancellationToken)
    {
        var user = await db.Users.SingleAsync(u => u.Id == userId, cancellationToken);
        if (!passwords.Verify(currentPassword, user.PasswordHash))
        {
            return false;
        }

        user.PasswordHash = passwords.Hash(newPassword);
        await db.SaveChangesAsync(cancellationToken);
#if (RefreshTokens)
        // Whoever holds a refresh token of this user must log in again, with the new password.
        await refreshTokens.RevokeAllAsync(userId, cancellationToken);
#endif
        return true;
    }
}
