using Contoso.Orders.Api.Domain;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Contoso.Orders.Api.ExternalLogins;

/// <summary>
/// An identity at an OpenID provider (its issuer and subject, which together name one person for good) that signs
/// in to one account. The provider's name is kept for the account's list and for unlinking; sign-in finds the
/// identity by issuer and subject, whatever the provider is called today.
/// </summary>
public sealed class ExternalLogin
{
    public Guid Id { get; init; } = Guid.CreateVersion7();

    public required Guid UserId { get; init; }

    public required string Provider { get; init; }

    public required string Issuer { get; init; }

    public required string Subject { get; init; }

    public DateTimeOffset CreatedAt { get; init; }
}

/// <summary>
/// A sign-in or link sent to a provider, waiting for the browser to come back with a code: what the callback needs to
/// finish it on any replica. <c>state</c> is kept only as its SHA-256; the PKCE verifier and the nonce as they are,
/// for the minutes the flow lives (neither is of use without the code, which only the callback receives).
/// </summary>
public sealed class ExternalLoginFlow
{
    public Guid Id { get; init; } = Guid.CreateVersion7();

    public required byte[] StateHash { get; init; }

    public required string Provider { get; init; }

    public required string ReturnUrl { get; init; }

    public required string CodeVerifier { get; init; }

    public required string Nonce { get; init; }

    /// <summary>The signed-in user who is linking the provider to the account; null for a sign-in.</summary>
    public Guid? UserId { get; init; }

    /// <summary>
    /// For a sign-in, the SHA-256 of the secret in a cookie of the browser that began it: the return is accepted only
    /// from that browser, so that nobody can send another person the end of their own sign-in (login CSRF).
    /// </summary>
    public byte[]? BrowserBindingHash { get; init; }

    public required DateTimeOffset ExpiresAt { get; init; }
}

/// <summary>
/// The one-time code a finished flow hands the front end (in the return URL's fragment, which never reaches a
/// server): kept as its SHA-256, spent by the first exchange, dead after <see cref="ExternalLoginSettings.CodeLifetime"/>.
/// A sign-in's code is exchanged for tokens; a link's code carries the identity, and is confirmed by the signed-in
/// user who began the link, so that a link begun by one person cannot be finished in another's browser.
/// </summary>
public sealed class ExternalLoginCode
{
    public required byte[] CodeHash { get; init; }

    public required Guid UserId { get; init; }

    public required string Provider { get; init; }

    /// <summary>The identity to link: set for a link's code only.</summary>
    public string? Issuer { get; init; }

    public string? Subject { get; init; }

    public required DateTimeOffset ExpiresAt { get; init; }
}

public sealed class ExternalLoginConfiguration :
    IEntityTypeConfiguration<ExternalLogin>, IEntityTypeConfiguration<ExternalLoginFlow>, IEntityTypeConfiguration<ExternalLoginCode>
{
    public void Configure(EntityTypeBuilder<ExternalLogin> login)
    {
        login.ToTable("external_logins");
        login.HasKey(l => l.Id);
        login.Property(l => l.Id).ValueGeneratedNever();
        login.HasOne<User>().WithMany().HasForeignKey(l => l.UserId).OnDelete(DeleteBehavior.Cascade);
        // An identity belongs to one account, and an account has one identity per provider.
        login.HasIndex(l => new { l.Issuer, l.Subject }).IsUnique();
        login.HasIndex(l => new { l.UserId, l.Provider }).IsUnique();
        login.Property(l => l.Provider).HasMaxLength(ExternalLoginSettings.MaxProviderNameLength);
        login.Property(l => l.Issuer).HasMaxLength(ExternalLoginSettings.MaxUrlLength);
        // OpenID Connect Core 2: sub is at most 255 ASCII characters.
        login.Property(l => l.Subject).HasMaxLength(255);
        login.Property(l => l.CreatedAt).HasDefaultValueSql("now()");
    }

    public void Configure(EntityTypeBuilder<ExternalLoginFlow> flow)
    {
        flow.ToTable("external_login_flows");
        flow.HasKey(f => f.Id);
        flow.Property(f => f.Id).ValueGeneratedNever();
        flow.HasIndex(f => f.StateHash).IsUnique();
        flow.Property(f => f.StateHash).HasMaxLength(32);
        flow.Property(f => f.Provider).HasMaxLength(ExternalLoginSettings.MaxProviderNameLength);
        flow.Property(f => f.ReturnUrl).HasMaxLength(ExternalLoginSettings.MaxUrlLength);
        flow.Property(f => f.CodeVerifier).HasMaxLength(128);
        flow.Property(f => f.Nonce).HasMaxLength(128);
        flow.Property(f => f.BrowserBindingHash).HasMaxLength(32);
        flow.HasOne<User>().WithMany().HasForeignKey(f => f.UserId).OnDelete(DeleteBehavior.Cascade);
        flow.HasIndex(f => f.UserId);
        flow.HasIndex(f => f.ExpiresAt);
    }

    public void Configure(EntityTypeBuilder<ExternalLoginCode> code)
    {
        code.ToTable("external_login_codes");
        code.HasKey(c => c.CodeHash);
        code.Property(c => c.CodeHash).HasMaxLength(32);
        code.Property(c => c.Provider).HasMaxLength(ExternalLoginSettings.MaxProviderNameLength);
        code.Property(c => c.Issuer).HasMaxLength(ExternalLoginSettings.MaxUrlLength);
        code.Property(c => c.Subject).HasMaxLength(255);
        code.HasOne<User>().WithMany().HasForeignKey(c => c.UserId).OnDelete(DeleteBehavior.Cascade);
        code.HasIndex(c => c.UserId);
        code.HasIndex(c => c.ExpiresAt);
    }
}
