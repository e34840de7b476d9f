using AuthTemplate.Api.Data;
using AuthTemplate.Api.Domain;
using AuthTemplate.Api.Security;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace AuthTemplate.Api.Auth;

public sealed class AuthService(AppDbContext db, PasswordHasher passwords, TokenIssuer tokens)
{
    /// <summary>The new user, or null when the email is already registered (in any letter case).</summary>
    public async Task<User?> RegisterAsync(string email, string password, CancellationToken cancellationToken)
    {
        var normalizedEmail = EmailAddress.Normalize(email);
        if (await db.Users.AnyAsync(u => u.NormalizedEmail == normalizedEmail, cancellationToken))
        {
            return null;
        }

        var user = new User
        {
            Email = email.Trim(),
            NormalizedEmail = normalizedEmail,
            PasswordHash = passwords.Hash(password),
        };
        db.Users.Add(user);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return user;
        }
        catch (DbUpdateException exception) when (exception.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            // Another request registered the same email between the check and the insert.
            return null;
        }
    }

    /// <summary>Tokens for valid credentials of an active user; null otherwise, whichever the reason.</summary>
    public async Task<TokenResponse?> LoginAsync(string email, string password, CancellationToken cancellationToken)
    {
        // An address that registration refuses belongs to no account: it is answered as an unknown one, in the same
        // time, and never sent to PostgreSQL (which cannot even compare text that holds NUL).
        if (EmailAddress.Problem(email) is not null)
        {
            passwords.VerifyAgainstDummy(password);
            return null;
        }

        var normalizedEmail = EmailAddress.Normalize(email);
        var user = await db.Users.SingleOrDefaultAsync(u => u.NormalizedEmail == normalizedEmail, cancellationToken);
        if (user is null)
        {
            passwords.VerifyAgainstDummy(password);
            return null;
        }

        // Verified even for a deactivated account, so that timing does not set it apart from a wrong password.
        if (!passwords.Verify(password, user.PasswordHash) || !user.IsActive)
        {
            return null;
        }

        if (passwords.NeedsRehash(user.PasswordHash))
        {
            user.PasswordHash = passwords.Hash(password);
            await db.SaveChangesAsync(cancellationToken);
        }

        return await tokens.IssueAsync(user, cancellationToken);
    }
}
