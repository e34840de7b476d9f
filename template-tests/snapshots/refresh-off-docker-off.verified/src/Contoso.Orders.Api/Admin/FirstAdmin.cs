using Contoso.Orders.Api.Data;
using Contoso.Orders.Api.Domain;
using Contoso.Orders.Api.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Contoso.Orders.Api.Admin;

/// <summary>
/// Makes sure the configured first admin exists and is an admin. Runs in the <c>migrate</c> command and at start-up,
/// so that a fresh deployment always has an admin.
/// </summary>
public sealed class FirstAdmin(AppDbContext db, PasswordHasher passwords, IOptions<AdminSettings> settings, ILogger<FirstAdmin> logger) : IDatabaseSeed
{
    public async Task EnsureAsync(CancellationToken cancellationToken)
    {
        var admin = settings.Value;
        if (!admin.IsConfigured)
        {
            return;
        }

        var normalizedEmail = EmailAddress.Normalize(admin.Email!);
        var user = await db.Users.SingleOrDefaultAsync(u => u.NormalizedEmail == normalizedEmail, cancellationToken);
        if (user is null)
        {
            db.Users.Add(new User
            {
                Email = admin.Email!.Trim(),
                NormalizedEmail = normalizedEmail,
                PasswordHash = passwords.Hash(admin.Password!),
                Role = Roles.Admin,
                // Whoever configures the deployment vouches for the address: the admin can log in at once.
                EmailConfirmed = true,
            });
            await db.SaveChangesAsync(cancellationToken);
            logger.LogInformation("Created the first admin from the Admin settings");
        }
        else if (user.Role != Roles.Admin)
        {
            user.Role = Roles.Admin;
            await db.SaveChangesAsync(cancellationToken);
            logger.LogInformation("Promoted the user named in the Admin settings to admin");
        }
    }
}

/// <summary>
/// Runs <see cref="FirstAdmin"/> once the app has started; a database that is not ready yet only logs a warning. It
/// does not hold up start-up: its first query sets up EF Core (the model and the query's translation, most of a second
/// on two cores), which the app would otherwise wait for before it listens and reports ready.
/// </summary>
public sealed class FirstAdminAtStartup(IServiceScopeFactory scopes, DatabaseModelWarmUp databaseModel, IOptions<AdminSettings> settings, ILogger<FirstAdminAtStartup> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Without a configured admin there is nothing to do, and nothing to set up.
        if (!settings.Value.IsConfigured)
        {
            return;
        }

        try
        {
            await databaseModel.Built.WaitAsync(stoppingToken);
            await using var scope = scopes.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<FirstAdmin>().EnsureAsync(stoppingToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            logger.LogWarning(exception, "Could not ensure the first admin at start-up; the migrate command does it too");
        }
    }
}
