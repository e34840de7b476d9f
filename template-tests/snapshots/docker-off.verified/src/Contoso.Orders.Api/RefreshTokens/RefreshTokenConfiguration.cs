using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Contoso.Orders.Api.RefreshTokens;

public sealed class RefreshTokenConfiguration : IEntityTypeConfiguration<RefreshToken>
{
    public const int UserAgentLength = 256;

    public void Configure(EntityTypeBuilder<RefreshToken> token)
    {
        token.ToTable("refresh_tokens");
        token.HasKey(t => t.Id);
        token.Property(t => t.Id).ValueGeneratedNever();
        token.Property(t => t.TokenHash).HasMaxLength(32);
        token.HasIndex(t => t.TokenHash).IsUnique();
        token.Property(t => t.AuthenticationMethods).HasMaxLength(40);
        // An IPv6 address with a zone id fits in 45 characters plus the zone.
        token.Property(t => t.ClientAddress).HasMaxLength(64);
        token.Property(t => t.UserAgent).HasMaxLength(UserAgentLength);
        token.HasIndex(t => t.FamilyId);
        token.HasIndex(t => t.UserId);
        token.HasIndex(t => t.ExpiresAt);
        token.HasOne(t => t.User).WithMany().HasForeignKey(t => t.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}
