using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Contoso.Orders.Api.Email;

public sealed class EmailOutboxConfiguration : IEntityTypeConfiguration<EmailOutboxMessage>
{
    public void Configure(EntityTypeBuilder<EmailOutboxMessage> message)
    {
        message.ToTable("email_outbox");
        message.HasKey(m => m.Id);
        message.Property(m => m.Id).ValueGeneratedNever();
        message.Property(m => m.Recipient).HasMaxLength(320);
        message.Property(m => m.Template).HasMaxLength(100);
        message.Property(m => m.Values)
            .HasColumnType("jsonb")
            .HasConversion(
                values => JsonSerializer.Serialize(values, (JsonSerializerOptions?)null),
                json => JsonSerializer.Deserialize<Dictionary<string, string>>(json, (JsonSerializerOptions?)null) ?? new Dictionary<string, string>(),
                new ValueComparer<Dictionary<string, string>>(
                    (left, right) => left!.Count == right!.Count && !left.Except(right).Any(),
                    values => values.Aggregate(0, (hash, pair) => HashCode.Combine(hash, pair.Key, pair.Value)),
                    values => new Dictionary<string, string>(values)));
        message.Property(m => m.Status).HasConversion<string>().HasMaxLength(10);
        message.Property(m => m.LastError).HasMaxLength(40);

        // What the sender looks for: pending messages whose time has come.
        message.HasIndex(m => m.NextAttemptAt).HasFilter("status = 'Pending'");
        // Counting what one address was sent lately (the per-address limit), and pruning old rows.
        message.HasIndex(m => new { m.Recipient, m.CreatedAt });
        message.HasIndex(m => m.CompletedAt);
    }
}
