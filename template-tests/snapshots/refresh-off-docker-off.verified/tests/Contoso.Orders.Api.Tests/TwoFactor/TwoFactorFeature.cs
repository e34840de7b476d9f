using System.Net;
using System.Text.Json.Nodes;
using Contoso.Orders.Api.Tests.Infrastructure;
using static Contoso.Orders.Api.Tests.TwoFactor.TwoFactorAccount;

namespace Contoso.Orders.Api.Tests.TwoFactor;

/// <summary>The two-factor endpoints, for the tests that cover every endpoint.</summary>
public sealed class TwoFactorFeature : IApiFeature
{
    /// <summary>Shaped like a recovery code, and no one's.</summary>
    private const string UnknownRecoveryCode = "2222-3333-4444";

    public IEnumerable<ApiEndpoint> Endpoints =>
    [
        new("POST", SecondStepPath, Anonymous: true, new RequestBody(
            [BodyField.LookedUp("mfaToken", "bm90LWFuLW1mYS10b2tlbi1hdC1hbGwtbm90LWV2ZXItZXZlcg"), BodyField.LookedUp("code", UnknownRecoveryCode)],
            async (_, client) =>
            {
                var user = await client.NewUserWithTwoFactorAsync(DateTimeOffset.UtcNow);
                var mfaToken = await client.StartLoginAsync(user.Email);
                return new GoodRequest(SecondStepPath, null, new JsonObject { ["mfaToken"] = mfaToken, ["code"] = user.RecoveryCodes[0] }, HttpStatusCode.OK);
            })),
        new("POST", SetupPath, Anonymous: false, new RequestBody(
            [BodyField.LookedUp("password", "not the password")],
            async (_, client) => new GoodRequest(
                SetupPath, await client.AccessTokenForNewUserAsync(), new JsonObject { ["password"] = ApiClient.Password }, HttpStatusCode.OK))),
        new("POST", EnablePath, Anonymous: false, new RequestBody(
            [BodyField.LookedUp("code", "000000")],
            async (_, client) =>
            {
                var token = await client.AccessTokenForNewUserAsync();
                var secret = await client.SetUpAsync(token);
                // A code the secret gives now is never 000000 by more than chance; the wrong value must be wrong.
                var code = TestTotp.CodeAt(secret, DateTimeOffset.UtcNow);
                return new GoodRequest(EnablePath, token, new JsonObject { ["code"] = code == "000000" ? TestTotp.CodeAt(secret, DateTimeOffset.UtcNow.AddSeconds(30)) : code }, HttpStatusCode.OK);
            })),
        new("POST", DisablePath, Anonymous: false, new RequestBody(
            [BodyField.LookedUp("password", "not the password"), BodyField.LookedUp("code", UnknownRecoveryCode)],
            (_, client) => WithTwoFactorOnAsync(client, DisablePath, HttpStatusCode.NoContent))),
        new("POST", RecoveryCodesPath, Anonymous: false, new RequestBody(
            [BodyField.LookedUp("password", "not the password"), BodyField.LookedUp("code", UnknownRecoveryCode)],
            (_, client) => WithTwoFactorOnAsync(client, RecoveryCodesPath, HttpStatusCode.OK))),
    ];

    /// <summary>A user with two-factor sign-in on, and a good change request: the password and a recovery code.</summary>
    private static async Task<GoodRequest> WithTwoFactorOnAsync(HttpClient client, string path, HttpStatusCode success)
    {
        var user = await client.NewUserWithTwoFactorAsync(DateTimeOffset.UtcNow);
        return new GoodRequest(path, user.AccessToken, new JsonObject { ["password"] = ApiClient.Password, ["code"] = user.RecoveryCodes[0] }, success);
    }
}
