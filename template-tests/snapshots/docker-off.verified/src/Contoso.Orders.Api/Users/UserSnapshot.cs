namespace Contoso.Orders.Api.Users;

/// <summary>
/// What a request knows of its authenticated user: the columns the per-request check and the handlers read, without
/// the password hash. Immutable, because one snapshot is shared by every request of the user that <see cref="UserCache"/>
/// serves it to.
/// </summary>
public sealed record UserSnapshot
{
    public required Guid Id { get; init; }

    public required string Email { get; init; }

    public required string NormalizedEmail { get; init; }

    public required bool IsActive { get; init; }

    public required bool EmailConfirmed { get; init; }

    public required int SessionVersion { get; init; }

    public required bool TwoFactorEnabled { get; init; }

    public required string Role { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>Sessions that ended one by one (see <see cref="IUserSessionStore.EndedSessionsAsync"/>): their access tokens are refused.</summary>
    public IReadOnlySet<Guid> EndedSessions { get; init; } = new HashSet<Guid>();
}
