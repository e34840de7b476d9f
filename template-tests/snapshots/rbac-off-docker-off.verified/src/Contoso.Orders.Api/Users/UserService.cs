using Contoso.Orders.Api.Data;
using Contoso.Orders.Api.RefreshTokens;
using Contoso.Orders.Api.Security;
using Microsoft.EntityFrameworkCore;

namespace Contoso.Orders.Api.Users;

public sealed class UserService(AppDbContext db, PasswordHasher passwords, RefreshTokenStore refreshTokens)
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
        // Whoever holds a refresh token of this user must log in again, with the new password.
        await refreshTokens.RevokeAllAsync(userId, cancellationToken);
        return true;
    }
}
