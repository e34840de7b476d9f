using System.Xml.Linq;
using Contoso.Auth_Api.Api.Configuration;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Contoso.Auth_Api.Api.TwoFactor;

/// <summary>
/// Data Protection's keys, in the table <c>data_protection_keys</c>, so that every replica encrypts and decrypts with
/// the same keys and a restarted one still reads what it wrote. Keys rotate every 90 days; old ones stay, since the
/// secrets they encrypted do.
/// </summary>
public static class KeyRing
{
    /// <summary>
    /// Payloads name the application they were made for: a fixed name, not the default (the content root path), which
    /// differs between replicas and deployments.
    /// </summary>
    public const string ApplicationName = "Contoso.Auth_Api.Api";

    /// <summary>The hosted service by which Data Protection reads its keys at start-up (see <see cref="AddKeyRing"/>).</summary>
    public const string WarmUpService = "DataProtectionHostedService";

    public static IServiceCollection AddKeyRing(this IServiceCollection services)
    {
        services.AddSingleton<PostgresKeyStore>();
        services.AddDataProtection().SetApplicationName(ApplicationName);
        services.AddOptions<KeyManagementOptions>().Configure<PostgresKeyStore>((options, store) => options.XmlRepository = store);

        // Data Protection reads the key ring while the host starts: a synchronous query before the app listens, up to
        // the connect timeout when the database does not answer. Only two-factor requests need the keys, so the ring
        // is read at the first of them instead.
        foreach (var warmUp in services.Where(descriptor => descriptor.ServiceType == typeof(IHostedService) && descriptor.ImplementationType?.Name == WarmUpService).ToList())
        {
            services.Remove(warmUp);
        }

        return services;
    }
}

/// <summary>
/// The key ring's store: two statements over a connection of its own. Data Protection reads and writes keys
/// synchronously, which multiplexing connections refuse (a connection string may turn multiplexing on); the EF Core
/// key store would need a second DbContext for it, and every <c>dotnet ef</c> command would then ask which context
/// was meant. Used only when the key ring is loaded (at first use, then about once a day) or a key is added.
/// </summary>
public sealed class PostgresKeyStore(IOptions<DatabaseSettings> settings) : IXmlRepository, IDisposable
{
    private readonly Lazy<NpgsqlDataSource> _dataSource = new(() => NpgsqlDataSource.Create(settings.Value.ResolveConnectionString(synchronous: true)));

    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var command = _dataSource.Value.CreateCommand("SELECT xml FROM data_protection_keys ORDER BY id");
        using var reader = command.ExecuteReader();
        var keys = new List<XElement>();
        while (reader.Read())
        {
            keys.Add(XElement.Parse(reader.GetString(0)));
        }

        return keys;
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        using var command = _dataSource.Value.CreateCommand("INSERT INTO data_protection_keys (friendly_name, xml) VALUES ($1, $2)");
        command.Parameters.Add(new NpgsqlParameter { Value = friendlyName });
        command.Parameters.Add(new NpgsqlParameter { Value = element.ToString(SaveOptions.DisableFormatting) });
        command.ExecuteNonQuery();
    }

    public void Dispose()
    {
        if (_dataSource.IsValueCreated)
        {
            _dataSource.Value.Dispose();
        }
    }
}

/// <summary>A row of the key ring: one key as Data Protection's XML. In the app's model so that migrations create the table.</summary>
public sealed class DataProtectionKey
{
    public int Id { get; init; }

    public string? FriendlyName { get; init; }

    public required string Xml { get; init; }
}

public sealed class DataProtectionKeyConfiguration : IEntityTypeConfiguration<DataProtectionKey>
{
    public void Configure(EntityTypeBuilder<DataProtectionKey> key)
    {
        key.ToTable("data_protection_keys");
        key.HasKey(k => k.Id);
    }
}
