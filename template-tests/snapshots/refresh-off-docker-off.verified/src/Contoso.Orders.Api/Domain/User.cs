namespace Contoso.Orders.Api.Domain;

public sealed class User
{
    public Guid Id { get; init; } = Guid.CreateVersion7();

    /// <summary>The address as the user typed it, trimmed.</summary>
    public required string Email { get; set; }

    /// <summary>The address in lower case: what uniqueness and look-ups use.</summary>
    public required string NormalizedEmail { get; set; }

    /// <summary>Null for an account made by external sign-in, until its owner sets a password (forgot-password).</summary>
    public required string? PasswordHash { get; set; }

    public bool IsActive { get; set; } = true;

    /// <summary>True once the owner proved the mailbox (a confirmation or a password reset link).</summary>
    public bool EmailConfirmed { get; set; }

    /// <summary>
    /// Raised whenever every session of the user ends (password change or reset, deactivation, logout everywhere).
    /// Access tokens carry the version they were issued under, and one from an older version is refused.
    /// </summary>
    public int SessionVersion { get; set; }

    /// <summary>True once an authenticator app was confirmed with a code: a login then needs a code after the password.</summary>
    public bool TwoFactorEnabled { get; set; }

    /// <summary>One of <see cref="Admin.Roles"/>; carried by the access token.</summary>
    public string Role { get; set; } = Admin.Roles.User;

    /// <summary>Set by the database when the row is inserted.</summary>
    public DateTimeOffset CreatedAt { get; set; }
}
