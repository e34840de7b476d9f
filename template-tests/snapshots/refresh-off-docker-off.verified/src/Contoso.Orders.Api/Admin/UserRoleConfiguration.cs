using Contoso.Orders.Api.Domain;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Contoso.Orders.Api.Admin;

/// <summary>The role column of <c>users</c>, mapped here so that the role stays within this feature.</summary>
public sealed class UserRoleConfiguration : IEntityTypeConfiguration<User>
{
    public void Configure(EntityTypeBuilder<User> user)
    {
        user.Property(u => u.Role).HasMaxLength(Roles.MaxLength).HasDefaultValue(Roles.User);
        user.HasIndex(u => u.Role);
    }
}
