using Contoso.Orders.Api.Domain;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Contoso.Orders.Api.Passkeys;

/// <summary>
/// A passkey of a user: the authenticator's credential id and public key (COSE), the signature counter it last
/// presented, and the user handle the authenticator keeps with it (random per user, never the user's id or address,
/// so that an authenticator's list of accounts tells nothing about this service's users).
/// </summary>
public sealed class Passkey
{
    public const int MaxNameLength = 64;

    public Guid Id { get; init; } = Guid.CreateVersion7();

    public required Guid UserId { get; init; }

    public required byte[] CredentialId { get; init; }

    public required byte[] PublicKey { get; init; }

    public required byte[] UserHandle { get; init; }

    /// <summary>
    /// The highest counter seen. Authenticators that count send a larger one each time; one that does not grow means a
    /// copy of the key is in use somewhere (WebAuthn 6.1.1). Synced passkeys send 0 always, which says nothing.
    /// </summary>
    public long SignatureCounter { get; set; }

    /// <summary>How the authenticator said it can be reached (<c>internal</c>, <c>hybrid</c>, <c>usb</c>, ...), for the exclude list.</summary>
    public string[] Transports { get; init; } = [];

    /// <summary>The passkey may be synced to other devices (a password manager, iCloud Keychain, Google Password Manager).</summary>
    public bool IsBackupEligible { get; init; }

    public bool IsBackedUp { get; set; }

    public required string Name { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset? LastUsedAt { get; set; }
}

public enum PasskeyFlowPurpose
{
    Registration = 1,
    SignIn = 2,
}

/// <summary>
/// A registration or sign-in begun: the options sent to the browser, challenge included, kept until the answer comes
/// back to any replica. Single-use: the answer deletes it whatever the verdict.
/// </summary>
public sealed class PasskeyFlow
{
    public Guid Id { get; init; } = Guid.NewGuid();

    public required PasskeyFlowPurpose Purpose { get; init; }

    /// <summary>The user who is adding a passkey; null for a sign-in, which does not know who will answer.</summary>
    public Guid? UserId { get; init; }

    /// <summary>The options as JSON, exactly as sent.</summary>
    public required string Options { get; init; }

    public required DateTimeOffset ExpiresAt { get; init; }
}

public sealed class PasskeyConfiguration : IEntityTypeConfiguration<Passkey>, IEntityTypeConfiguration<PasskeyFlow>
{
    public void Configure(EntityTypeBuilder<Passkey> passkey)
    {
        passkey.ToTable("passkeys");
        passkey.HasKey(p => p.Id);
        passkey.Property(p => p.Id).ValueGeneratedNever();
        passkey.HasOne<User>().WithMany().HasForeignKey(p => p.UserId).OnDelete(DeleteBehavior.Cascade);
        passkey.HasIndex(p => p.UserId);
        // WebAuthn allows ids up to 1023 bytes; no two accounts may hold one credential.
        passkey.Property(p => p.CredentialId).HasMaxLength(1023);
        passkey.HasIndex(p => p.CredentialId).IsUnique();
        passkey.Property(p => p.PublicKey).HasMaxLength(2048);
        passkey.Property(p => p.UserHandle).HasMaxLength(64);
        passkey.Property(p => p.Name).HasMaxLength(Passkey.MaxNameLength);
        passkey.Property(p => p.CreatedAt).HasDefaultValueSql("now()");
    }

    public void Configure(EntityTypeBuilder<PasskeyFlow> flow)
    {
        flow.ToTable("passkey_flows");
        flow.HasKey(f => f.Id);
        flow.Property(f => f.Id).ValueGeneratedNever();
        flow.HasOne<User>().WithMany().HasForeignKey(f => f.UserId).OnDelete(DeleteBehavior.Cascade);
        flow.HasIndex(f => f.UserId);
        flow.HasIndex(f => f.ExpiresAt);
    }
}
