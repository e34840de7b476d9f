using my_api.Api.Domain;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace my_api.Api.Account;

public sealed class AccountTokenConfiguration : IEntityTypeConfiguration<AccountToken>
{
    public void Configure(EntityTypeBuilder<AccountToken> token)
    {
        token.ToTable("account_tokens");
        token.HasKey(t => t.Id);
        token.Property(t => t.Id).ValueGeneratedNever();
        token.Property(t => t.Purpose).HasConversion<string>().HasMaxLength(20);
        token.Property(t => t.TokenHash).HasMaxLength(32);
        token.Property(t => t.Email).HasMaxLength(EmailAddress.MaxLength);
        token.Property(t => t.NormalizedEmail).HasMaxLength(EmailAddress.MaxLength);
        token.HasIndex(t => t.TokenHash).IsUnique();
        token.HasIndex(t => new { t.UserId, t.Purpose });
        token.HasIndex(t => new { t.NormalizedEmail, t.CreatedAt });
        token.HasOne(t => t.User).WithMany().HasForeignKey(t => t.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}
