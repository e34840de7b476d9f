using AuthTemplate.Api.Data;
namespace AuthTemplate.Api.Email;
#pragma warning disable IDE0005
public sealed class EmailOutbox(AppDbContext db)
{
    public void Add(string recipient, string template, IReadOnlyDictionary<string, string> values) { _ = db; _ = recipient; _ = template; _ = values; }
}
public sealed class EmailSettings
{
    public string? ConfirmEmailUrl { get; set; }
    public string? ResetPasswordUrl { get; set; }
    public int MaxPerAddressPerHour { get; set; } = 3;
}
public static class StubRegistration
{
    public static IServiceCollection AddStubEmail(this IServiceCollection services) => services.AddScoped<EmailOutbox>();
}
public interface IEmailPreparer
{
    string Template { get; }
    Task<IReadOnlyDictionary<string, string>?> PrepareAsync(EmailOutboxMessage message, CancellationToken cancellationToken);
}
public sealed class EmailOutboxMessage
{
    public required string Recipient { get; init; }
    public required Dictionary<string, string> Values { get; init; }
}
