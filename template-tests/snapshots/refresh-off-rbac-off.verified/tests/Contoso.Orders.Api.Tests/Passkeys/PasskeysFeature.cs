using System.Net;
using System.Text.Json.Nodes;
using Contoso.Orders.Api.Tests.Infrastructure;
using static Contoso.Orders.Api.Tests.Passkeys.PasskeyAccount;

namespace Contoso.Orders.Api.Tests.Passkeys;

/// <summary>The passkey endpoints, for the tests that cover every endpoint, and the relying party of every test app.</summary>
public sealed class PasskeysFeature : IApiFeature
{
    /// <summary>Shaped like a flow id, and no flow's.</summary>
    private const string UnknownFlow = "6f1c3a52-2f0e-4c55-9a67-0d3c1c1e4b21";

    public IEnumerable<ApiEndpoint> Endpoints =>
    [
        new("POST", SignInOptionsPath, Anonymous: true),
        new("POST", SignInPath, Anonymous: true, new RequestBody(
            [BodyField.LookedUp("flowId", UnknownFlow), BodyField.Object("credential")],
            async (_, client) =>
            {
                using var authenticator = NewAuthenticator();
                await client.RegisterPasskeyAsync(await client.AccessTokenForNewUserAsync(), authenticator);
                var options = await client.SignInOptionsAsync();
                return new GoodRequest(SignInPath, null, new JsonObject { ["flowId"] = options.FlowId, ["credential"] = authenticator.Get(options.Options) }, HttpStatusCode.OK);
            })),
        new("GET", PasskeysPath, Anonymous: false),
        new("POST", RegistrationOptionsPath, Anonymous: false, new RequestBody(
            [BodyField.LookedUp("password", "not the password")],
            async (_, client) => new GoodRequest(
                RegistrationOptionsPath, await client.AccessTokenForNewUserAsync(), new JsonObject { ["password"] = ApiClient.Password }, HttpStatusCode.OK))),
        new("POST", PasskeysPath, Anonymous: false, new RequestBody(
            [BodyField.LookedUp("flowId", UnknownFlow), BodyField.Checked("name"), BodyField.Object("credential")],
            async (_, client) =>
            {
                using var authenticator = NewAuthenticator();
                var token = await client.AccessTokenForNewUserAsync();
                var options = await client.RegistrationOptionsAsync(token);
                return new GoodRequest(PasskeysPath, token,
                    new JsonObject { ["flowId"] = options.FlowId, ["name"] = "Work laptop", ["credential"] = authenticator.Create(options.Options) }, HttpStatusCode.Created);
            })),
        new("DELETE", $"{PasskeysPath}/{{id}}", Anonymous: false, new RequestBody(
            [BodyField.LookedUp("password", "not the password")],
            async (_, client) =>
            {
                using var authenticator = NewAuthenticator();
                var token = await client.AccessTokenForNewUserAsync();
                var passkey = await client.RegisterPasskeyAsync(token, authenticator);
                return new GoodRequest($"{PasskeysPath}/{passkey.GetProperty("id").GetString()}", token, new JsonObject { ["password"] = ApiClient.Password }, HttpStatusCode.NoContent);
            })),
    ];

    /// <summary>Apps in Development keep appsettings.Development.json's localhost relying party.</summary>
    public IEnumerable<KeyValuePair<string, string?>> SettingsFor(ApiFactory factory) => factory.EnvironmentName == "Development"
        ? []
        : [new("Passkeys:RpId", PasskeyOrigins.RpId), new("Passkeys:Origins:0", PasskeyOrigins.Origin)];
}
