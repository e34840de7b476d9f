using Contoso.Orders.Api.Domain;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Contoso.Orders.Api.TwoFactor;

/// <summary>
/// A user's authenticator app: its secret, encrypted (<see cref="TwoFactorSecrets"/>), and the last time step whose
/// code was accepted, so that no code works twice. Pending until <see cref="User.TwoFactorEnabled"/> is set.
/// </summary>
public sealed class Authenticator
{
    public required Guid UserId { get; init; }

    public required string ProtectedSecret { get; set; }

    /// <summary>The newest time step accepted for the account; only a later one is accepted next (ASVS 6.5.1).</summary>
    public long? LastUsedStep { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>One unused recovery code of a user, as a hash; a used code's row is deleted.</summary>
public sealed class RecoveryCode
{
    public Guid Id { get; init; } = Guid.CreateVersion7();

    public required Guid UserId { get; init; }

    public required string CodeHash { get; init; }
}

/// <summary>
/// The second step of one login: the <c>mfaToken</c> (as a SHA-256 hash) that a correct password earned, waiting for
/// a code. In PostgreSQL, so that the code may reach any replica.
/// </summary>
public sealed class TwoFactorChallenge
{
    public Guid Id { get; init; } = Guid.CreateVersion7();

    public required byte[] TokenHash { get; init; }

    public required Guid UserId { get; init; }

    public required DateTimeOffset ExpiresAt { get; init; }

    public int WrongCodes { get; set; }

    /// <summary>How the first step was made (<see cref="Security.SignIn.MethodsText"/>: <c>pwd</c>, <c>fed</c>), for the tokens' <c>amr</c>.</summary>
    public string FirstFactor { get; init; } = Security.SignIn.Password;
}

public sealed class TwoFactorConfiguration :
    IEntityTypeConfiguration<Authenticator>, IEntityTypeConfiguration<RecoveryCode>, IEntityTypeConfiguration<TwoFactorChallenge>
{
    public void Configure(EntityTypeBuilder<Authenticator> authenticator)
    {
        authenticator.ToTable("authenticators");
        authenticator.HasKey(a => a.UserId);
        authenticator.HasOne<User>().WithOne().HasForeignKey<Authenticator>(a => a.UserId).OnDelete(DeleteBehavior.Cascade);
        authenticator.Property(a => a.ProtectedSecret).HasMaxLength(500);
    }

    public void Configure(EntityTypeBuilder<RecoveryCode> code)
    {
        code.ToTable("recovery_codes");
        code.HasKey(c => c.Id);
        code.Property(c => c.Id).ValueGeneratedNever();
        code.HasOne<User>().WithMany().HasForeignKey(c => c.UserId).OnDelete(DeleteBehavior.Cascade);
        code.HasIndex(c => c.UserId);
        code.Property(c => c.CodeHash).HasMaxLength(60);
    }

    public void Configure(EntityTypeBuilder<TwoFactorChallenge> challenge)
    {
        challenge.ToTable("two_factor_challenges");
        challenge.HasKey(c => c.Id);
        challenge.Property(c => c.Id).ValueGeneratedNever();
        challenge.HasIndex(c => c.TokenHash).IsUnique();
        challenge.Property(c => c.TokenHash).HasMaxLength(32);
        challenge.HasOne<User>().WithMany().HasForeignKey(c => c.UserId).OnDelete(DeleteBehavior.Cascade);
        challenge.HasIndex(c => c.UserId);
        challenge.HasIndex(c => c.ExpiresAt);
        challenge.Property(c => c.FirstFactor).HasMaxLength(32).HasDefaultValue(Security.SignIn.Password);
    }
}
