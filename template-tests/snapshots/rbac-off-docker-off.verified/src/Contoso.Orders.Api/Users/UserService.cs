using Contoso.Orders.Api.Account;
using Contoso.Orders.Api.Data;
using Contoso.Orders.Api.Security;
using Microsoft.EntityFrameworkCore;

namespace Contoso.Orders.Api.Users;

public sealed class UserService(AppDbContext db, PasswordHasher passwords, UserSessions sessions, AccountMail mail, SecurityEvents events)
{
    /// <summary>False when the current password is wrong; nothing changes then.</summary>
    public async Task<bool> ChangePasswordAsync(Guid userId, string currentPassword, string newPassword, CancellationToken cancellationToken)
    {
        var user = await db.Users.SingleAsync(u => u.Id == userId, cancellationToken);
        if (!passwords.Verify(currentPassword, user.PasswordHash))
        {
            events.PasswordChangeFailed(userId);
            return false;
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        user.PasswordHash = passwords.Hash(newPassword);
        mail.PasswordChangedNotice(user.Email);
        await db.SaveChangesAsync(cancellationToken);
        // Whoever holds a session of this user must log in again, with the new password.
        await sessions.EndAllAsync(userId, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        events.PasswordChanged(userId);
        return true;
    }
}
