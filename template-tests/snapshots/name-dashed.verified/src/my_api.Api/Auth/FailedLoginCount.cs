using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace my_api.Api.Auth;

/// <summary>
/// The failed logins for one email within the current window, whether or not an account has the email. Keyed by the
/// SHA-256 of the normalized email, so that the table is not a list of the addresses people guessed.
/// </summary>
public sealed class FailedLoginCount
{
    public required byte[] EmailHash { get; init; }

    public int Failures { get; set; }

    /// <summary>The first failure of the window; the count lapses <c>Auth:FailedLoginWindow</c> after it.</summary>
    public DateTimeOffset WindowStart { get; set; }
}

public sealed class FailedLoginCountConfiguration : IEntityTypeConfiguration<FailedLoginCount>
{
    public void Configure(EntityTypeBuilder<FailedLoginCount> count)
    {
        count.ToTable("failed_logins");
        count.HasKey(c => c.EmailHash);
        count.Property(c => c.EmailHash).HasMaxLength(32);
        count.HasIndex(c => c.WindowStart);
    }
}
