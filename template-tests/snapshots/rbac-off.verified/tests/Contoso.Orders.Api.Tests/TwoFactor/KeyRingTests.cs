using Contoso.Orders.Api.Tests.Infrastructure;
using Contoso.Orders.Api.TwoFactor;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Contoso.Orders.Api.Tests.TwoFactor;

/// <summary>Data Protection's keys: in PostgreSQL, read at the first use rather than while the host starts.</summary>
[Collection(TwoFactorCollection.Name)]
public sealed class KeyRingTests(ApiFactory api)
{
    [Fact]
    public void Data_protection_reads_no_keys_while_the_host_starts()
    {
        var services = new ServiceCollection().AddLogging().AddKeyRing();
        // The registration removed the warm-up it found: had Data Protection named it otherwise, nothing would go.
        var dataProtection = new ServiceCollection().AddDataProtection().Services;
        Assert.Contains(dataProtection, descriptor => descriptor.ServiceType == typeof(IHostedService) && descriptor.ImplementationType?.Name == KeyRing.WarmUpService);

        Assert.DoesNotContain(services, descriptor => descriptor.ServiceType == typeof(IHostedService) && descriptor.ImplementationType?.Name == KeyRing.WarmUpService);
        Assert.DoesNotContain(api.Services.GetServices<IHostedService>(), service => service.GetType().Name == KeyRing.WarmUpService);
    }

    [Fact]
    public async Task A_protected_secret_is_read_by_another_app_on_the_same_database_and_the_key_is_a_row()
    {
        var secret = AuthenticatorCodes.NewSecret();
        var protectedSecret = api.Services.GetRequiredService<TwoFactorSecrets>().Protect(secret);
        await using var other = api.WithSettings(new Dictionary<string, string?>());

        Assert.Equal(secret, other.Services.GetRequiredService<TwoFactorSecrets>().Unprotect(protectedSecret));
        Assert.True(await api.Database.ScalarAsync<long>("SELECT count(*) FROM data_protection_keys") >= 1);
        Assert.DoesNotContain(Convert.ToBase64String(secret), protectedSecret, StringComparison.Ordinal);
    }
}
