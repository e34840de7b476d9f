using System.Text.Json;
using Contoso.Orders.Api.Data;
using Contoso.Orders.Api.Domain;
using Contoso.Orders.Api.Email;
using Microsoft.Extensions.DependencyInjection;

namespace Contoso.Orders.Api.Tests.Infrastructure;

/// <summary>Puts email in an app's outbox the ways the app and its operators do, and watches the rows.</summary>
public static class TestOutbox
{
    /// <summary>The neutral template in Email/Templates, with its two values.</summary>
    public const string Template = "notice";

    public static Dictionary<string, string> Notice(string title, string message) => new() { ["Title"] = title, ["Message"] = message };

    /// <summary>
    /// What a request does: in one transaction, a change (a new user with the recipient's address) and an email about
    /// it, through the app's own <see cref="EmailOutbox"/>; then commits, or rolls back.
    /// </summary>
    public static async Task QueueWithChangeAsync(this IServiceProvider app, string recipient, IReadOnlyDictionary<string, string> values, bool commit = true)
    {
        await using var scope = app.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var outbox = scope.ServiceProvider.GetRequiredService<EmailOutbox>();
        await using var transaction = await db.Database.BeginTransactionAsync();
        db.Users.Add(new User { Email = recipient, NormalizedEmail = EmailAddress.Normalize(recipient), PasswordHash = "not-a-hash" });
        outbox.Add(recipient, Template, values);
        await db.SaveChangesAsync();
        if (commit)
        {
            await transaction.CommitAsync();
        }
        else
        {
            await transaction.RollbackAsync();
        }
    }

    /// <summary>Rows written straight into the table, as by an app on another machine: each recipient gets one notice.</summary>
    public static Task InsertAsync(TestDatabase database, IEnumerable<string> recipients, IReadOnlyDictionary<string, string> values) =>
        database.ExecuteAsync(string.Join('\n', recipients.Select(recipient => $"""
            INSERT INTO email_outbox (id, recipient, template, values, created_at, status, attempts, next_attempt_at)
            VALUES (gen_random_uuid(), '{recipient}', '{Template}', '{JsonSerializer.Serialize(values).Replace("'", "''", StringComparison.Ordinal)}'::jsonb, now(), 'Pending', 0, now());
            """)));

    /// <summary>The status and attempts of the (only) message to the recipient, or null when there is none.</summary>
    public static async Task<(string Status, int Attempts, string? LastError)?> RowAsync(TestDatabase database, string recipient)
    {
        var row = await database.ScalarAsync<object>(
            $"SELECT coalesce((SELECT json_build_array(status, attempts, last_error)::text FROM email_outbox WHERE recipient = '{recipient}'), '')");
        if (row is not string { Length: > 0 } json)
        {
            return null;
        }

        var parts = JsonSerializer.Deserialize<JsonElement[]>(json)!;
        return (parts[0].GetString()!, parts[1].GetInt32(), parts[2].ValueKind == JsonValueKind.Null ? null : parts[2].GetString());
    }
}
