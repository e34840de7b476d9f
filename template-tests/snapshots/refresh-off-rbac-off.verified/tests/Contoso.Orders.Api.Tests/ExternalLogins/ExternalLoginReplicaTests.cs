using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Contoso.Orders.Api.Tests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;
using static Contoso.Orders.Api.Tests.ExternalLogins.ExternalLoginAccount;
using static Contoso.Orders.Api.Tests.ExternalLogins.ExternalLoginsFeature;

namespace Contoso.Orders.Api.Tests.ExternalLogins;

/// <summary>Two replicas of the built API with the run's provider configured (the collection's shared replicas have none).</summary>
public sealed class ExternalLoginReplicas : IAsyncLifetime
{
    public ApiReplicas Replicas { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var settings = ExternalLoginsFeature.Settings(name =>
            {
                var secret = TestOpenIdProvider.Shared.ClientSecret(ClientId(name));
                TestRun.RememberSecret(secret);
                return secret;
            })
            .Append(new("ExternalLogin:AllowedReturnUrls:0", ReturnUrl))
            .Append(new("Auth:BcryptWorkFactor", Configuration.AuthSettingsValidator.ProductionMinimumWorkFactor.ToString(CultureInfo.InvariantCulture)));
        Replicas = await ApiReplicas.StartAsync(2, [.. ApiProcess.AsEnvironment(settings).Select(setting => (setting.Key, setting.Value!))]);
    }

    public async Task DisposeAsync()
    {
        if (Replicas is not null)
        {
            await Replicas.DisposeAsync();
        }
    }
}

/// <summary>
/// "Several replicas": an external sign-in begun on one replica is finished on another (the flow, its PKCE verifier and
/// its nonce are in PostgreSQL, not in a replica's memory), and its one-time code, once exchanged, is spent on every
/// replica.
/// </summary>
[Collection(ReplicaCollection.Name)]
public sealed class ExternalLoginReplicaTests(ExternalLoginReplicas fixture) : IClassFixture<ExternalLoginReplicas>, IDisposable
{
    /// <summary>One browser (one cookie jar) reaching each replica, as through a load balancer.</summary>
    private readonly ExternalLoginBrowser[] _browsers = Browsers(fixture.Replicas);

    private static ExternalLoginBrowser[] Browsers(ApiReplicas replicas)
    {
        var cookies = new CookieContainer();
        return [.. replicas.Processes.Select(replica => ExternalLoginBrowser.For(replica.Address, replicas.Database, cookies))];
    }

    public void Dispose()
    {
        foreach (var browser in _browsers)
        {
            browser.Dispose();
        }
    }

    [Fact]
    public async Task A_sign_in_begun_on_one_replica_finishes_on_another_and_its_code_is_spent_on_all()
    {
        var identity = ProviderIdentity.New();
        var callback = await _browsers[0].AuthorizeAsync(await _browsers[0].BeginAsync(Untrusted), identity);

        var fragment = ExternalLoginBrowser.Fragment(await _browsers[1].CallbackAsync(callback));

        Assert.True(fragment.ContainsKey("code"), string.Join('&', fragment));
        for (var replica = 0; replica < _browsers.Length; replica++)
        {
            await (await _browsers[replica].CallbackAsync(callback)).AssertProblemAsync(HttpStatusCode.BadRequest);
        }

        var tokens = await _browsers[0].Api.ExchangeForTokensAsync(fragment["code"]);
        for (var replica = 0; replica < _browsers.Length; replica++)
        {
            await (await _browsers[replica].Api.ExchangeAsync(fragment["code"])).AssertProblemAsync(HttpStatusCode.Unauthorized);
        }

        var access = tokens.GetProperty("accessToken").GetString()!;
        Assert.Equal(["fed"], new JsonWebToken(access).GetPayloadValue<string[]>("amr"));
        var me = await _browsers[1].Api.GetMeAsync(access);
        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        Assert.Equal(identity.Email, (await me.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("email").GetString());
    }

    [Fact]
    public async Task A_link_begun_on_one_replica_finishes_on_another()
    {
        var token = await _browsers[1].Api.AccessTokenForNewUserAsync();
        var identity = ProviderIdentity.New();
        var callback = await _browsers[1].AuthorizeAsync(await _browsers[1].BeginLinkAsync(token, Untrusted), identity);

        var fragment = ExternalLoginBrowser.Fragment(await _browsers[0].CallbackAsync(callback));
        Assert.Equal(HttpStatusCode.Created, (await _browsers[1].Api.ConfirmLinkAsync(token, fragment["link_code"])).StatusCode);

        Assert.Equal([Untrusted], await _browsers[0].Api.LinkedProvidersAsync(token));
        var code = await _browsers[0].SignInForCodeAsync(Untrusted, identity);
        Assert.Equal(HttpStatusCode.OK, (await _browsers[1].Api.ExchangeAsync(code)).StatusCode);
    }
}
