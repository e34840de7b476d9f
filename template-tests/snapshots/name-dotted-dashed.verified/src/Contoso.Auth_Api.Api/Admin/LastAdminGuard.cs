using Contoso.Auth_Api.Api.Data;
using Contoso.Auth_Api.Api.Domain;
using Contoso.Auth_Api.Api.Users;

namespace Contoso.Auth_Api.Api.Admin;

/// <summary>
/// An admin may delete their own account only while another active admin remains. The active admins' rows are locked
/// first, as for a role or status change, so that two admins deleting themselves at once are decided one after the other.
/// </summary>
public sealed class LastAdminGuard(AppDbContext db) : IAccountDeletionGuard
{
    public async Task<string?> RefusalAsync(User user, CancellationToken cancellationToken)
    {
        if (user is not { Role: Roles.Admin, IsActive: true })
        {
            return null;
        }

        var activeAdmins = await db.LockActiveAdminsAsync(cancellationToken);
        return activeAdmins.Count <= 1
            ? "This is the last active admin: make another user an admin before deleting this account."
            : null;
    }
}
