using Contoso.Orders.Api.Domain;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Contoso.Orders.Api.Data;

public sealed class UserConfiguration : IEntityTypeConfiguration<User>
{
    public void Configure(EntityTypeBuilder<User> user)
    {
        user.ToTable("users");
        user.HasKey(u => u.Id);
        user.Property(u => u.Id).ValueGeneratedNever();
        user.Property(u => u.Email).HasMaxLength(EmailAddress.MaxLength);
        user.Property(u => u.NormalizedEmail).HasMaxLength(EmailAddress.MaxLength);
        user.HasIndex(u => u.NormalizedEmail).IsUnique();
        user.Property(u => u.PasswordHash).HasMaxLength(100);
        user.Property(u => u.CreatedAt).HasDefaultValueSql("now()");
    }
}
