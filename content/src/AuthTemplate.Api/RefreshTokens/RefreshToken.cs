using AuthTemplate.Api.Domain;

namespace AuthTemplate.Api.RefreshTokens;

/// <summary>
/// One refresh token, stored only as the SHA-256 hash of its value. Tokens rotated from one login share a family:
/// the family is the user's session (its id is the access token's <c>sid</c>), and a spent token that comes back
/// revokes it.
/// </summary>
public sealed class RefreshToken
{
    public Guid Id { get; init; } = Guid.CreateVersion7();

    public required Guid UserId { get; init; }

    public User? User { get; init; }

    public required Guid FamilyId { get; init; }

    public required byte[] TokenHash { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public required DateTimeOffset ExpiresAt { get; init; }

    /// <summary>
    /// When the family ends, whatever its rotations: the login's time plus <c>Jwt:RefreshTokenFamilyDays</c>. No token
    /// of the family expires later, so a client that keeps refreshing still logs in again at this time (ASVS 10.4.8).
    /// </summary>
    public required DateTimeOffset FamilyExpiresAt { get; init; }

    /// <summary>When the session began: the login's time, carried to every token rotated from it.</summary>
    public required DateTimeOffset SessionStartedAt { get; init; }

    /// <summary>How the session began (the access token's <c>amr</c>, space-separated), carried like <see cref="SessionStartedAt"/>.</summary>
    public required string AuthenticationMethods { get; init; }

    /// <summary>The client's address when this token was issued: the session list shows the latest.</summary>
    public string? ClientAddress { get; init; }

    /// <summary>The client's User-Agent when this token was issued, cut to <see cref="RefreshTokenConfiguration.UserAgentLength"/>.</summary>
    public string? UserAgent { get; init; }

    /// <summary>When a refresh exchanged this token for a new one.</summary>
    public DateTimeOffset? SpentAt { get; set; }

    /// <summary>When a logout, a reuse, a password change or a deactivation revoked the family.</summary>
    public DateTimeOffset? RevokedAt { get; set; }
}
