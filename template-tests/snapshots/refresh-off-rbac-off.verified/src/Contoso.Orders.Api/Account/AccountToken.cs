using Contoso.Orders.Api.Domain;

namespace Contoso.Orders.Api.Account;

/// <summary>What a token may do: each endpoint accepts only its own purposes.</summary>
public enum AccountTokenPurpose
{
    ConfirmEmail,
    ResetPassword,
    ChangeEmail,
}

/// <summary>
/// One emailed token, stored only as the SHA-256 hash of its value, bound to one account and one purpose. Spent by
/// its use or by a newer token of the same purpose; rows stay for an hour after that, because they also count the
/// emails sent to an address (<c>Email:MaxPerAddressPerHour</c>).
/// </summary>
public sealed class AccountToken
{
    public Guid Id { get; init; } = Guid.CreateVersion7();

    public required Guid UserId { get; init; }

    public User? User { get; init; }

    public required AccountTokenPurpose Purpose { get; init; }

    public required byte[] TokenHash { get; init; }

    /// <summary>The address the token was sent to: the account's own, or for an email change the new one.</summary>
    public required string Email { get; init; }

    public required string NormalizedEmail { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public required DateTimeOffset ExpiresAt { get; init; }

    /// <summary>When the token was used, or superseded by a newer one, or cancelled by a password reset.</summary>
    public DateTimeOffset? SpentAt { get; set; }
}
