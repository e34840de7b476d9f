using Contoso.Orders.Api.Data;
using Contoso.Orders.Api.Domain;
using Contoso.Orders.Api.Security;
using Contoso.Orders.Api.Users;
using Microsoft.EntityFrameworkCore;

namespace Contoso.Orders.Api.Admin;

public enum AdminChange
{
    Done,
    NotFound,
    WouldLeaveNoActiveAdmin,
}

public sealed class AdminService(AppDbContext db, UserSessions sessions, CurrentUser admin, SecurityEvents events)
{
    public async Task<UserPage> ListAsync(int page, int pageSize, CancellationToken cancellationToken)
    {
        var total = await db.Users.CountAsync(cancellationToken);
        var users = await db.Users.AsNoTracking()
            .OrderBy(u => u.CreatedAt).ThenBy(u => u.Id)
            .Skip((page - 1) * pageSize).Take(pageSize)
            .ToListAsync(cancellationToken);
        return new UserPage(users.Select(UserResponse.From).ToList(), page, pageSize, total);
    }

    public Task<User?> FindAsync(Guid id, CancellationToken cancellationToken) =>
        db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Id == id, cancellationToken);

    public Task<(AdminChange, User?)> SetRoleAsync(Guid id, string role, CancellationToken cancellationToken) =>
        ChangeAsync(id, user => user.Role = role, cancellationToken);

    public Task<(AdminChange, User?)> SetActiveAsync(Guid id, bool isActive, CancellationToken cancellationToken) =>
        ChangeAsync(id, user => user.IsActive = isActive, cancellationToken);

    /// <summary>
    /// Applies a change unless it would leave no active admin. The active admins' rows are locked first, so that two
    /// concurrent changes (two admins demoting each other) are decided one after the other.
    /// </summary>
    private async Task<(AdminChange, User?)> ChangeAsync(Guid id, Action<User> change, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var activeAdmins = await db.LockActiveAdminsAsync(cancellationToken);
        var user = await db.Users.SingleOrDefaultAsync(u => u.Id == id, cancellationToken);
        if (user is null)
        {
            return (AdminChange.NotFound, null);
        }

        var (fromRole, wasActive) = (user.Role, user.IsActive);
        var wasActiveAdmin = user is { Role: Roles.Admin, IsActive: true };
        change(user);
        var isActiveAdmin = user is { Role: Roles.Admin, IsActive: true };
        if (wasActiveAdmin && !isActiveAdmin && activeAdmins.Count <= 1)
        {
            return (AdminChange.WouldLeaveNoActiveAdmin, null);
        }

        await db.SaveChangesAsync(cancellationToken);
        if (!user.IsActive)
        {
            await sessions.EndAllAsync(user.Id, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        if (user.Role != fromRole)
        {
            events.RoleChanged(admin.Id, user.Id, fromRole, user.Role);
        }

        if (user.IsActive != wasActive)
        {
            if (user.IsActive)
            {
                events.UserReactivated(admin.Id, user.Id);
            }
            else
            {
                events.UserDeactivated(admin.Id, user.Id);
            }
        }

        return (AdminChange.Done, user);
    }
}

public static class ActiveAdmins
{
    /// <summary>
    /// The active admins, their rows locked until the caller's transaction ends, so that changes that could leave no
    /// active admin (a demotion, a deactivation, a deletion) are decided one after the other.
    /// </summary>
    public static Task<List<User>> LockActiveAdminsAsync(this AppDbContext db, CancellationToken cancellationToken) =>
        db.Users.FromSql($"SELECT * FROM users WHERE role = {Roles.Admin} AND is_active ORDER BY id FOR UPDATE").ToListAsync(cancellationToken);
}
