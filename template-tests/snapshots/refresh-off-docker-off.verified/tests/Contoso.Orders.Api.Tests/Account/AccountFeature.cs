using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Contoso.Orders.Api.Tests.Infrastructure;
using Microsoft.IdentityModel.Tokens;

namespace Contoso.Orders.Api.Tests.Account;

/// <summary>The account email endpoints, for the tests that cover every endpoint.</summary>
public sealed class AccountFeature : IApiFeature
{
    private const string ConfirmEmail = "/api/v1/auth/confirm-email";
    private const string ResendConfirmation = "/api/v1/auth/resend-confirmation";
    private const string ForgotPassword = "/api/v1/auth/forgot-password";
    private const string ResetPassword = "/api/v1/auth/reset-password";
    private const string ChangeEmail = "/api/v1/users/me/email";

    /// <summary>Shaped like an emailed token (256 bits, base64url), and sent to no one.</summary>
    private static readonly string UnknownToken = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));

    public IEnumerable<ApiEndpoint> Endpoints =>
    [
        new("POST", ConfirmEmail, Anonymous: true, new RequestBody(
            [BodyField.LookedUp("token", UnknownToken)],
            async (api, client) =>
            {
                var email = ApiClient.NewEmail();
                Assert.Equal(HttpStatusCode.Accepted, (await client.RegisterAsync(email)).StatusCode);
                var token = await api.TokenFromNextMessageAsync(email, AccountFlows.ConfirmPage);
                return new GoodRequest(ConfirmEmail, null, new JsonObject { ["token"] = token }, HttpStatusCode.NoContent);
            })),
        new("POST", ResendConfirmation, Anonymous: true, new RequestBody(
            [BodyField.Checked("email")],
            (_, _) => Task.FromResult(new GoodRequest(ResendConfirmation, null, new JsonObject { ["email"] = ApiClient.NewEmail() }, HttpStatusCode.Accepted)))),
        new("POST", ForgotPassword, Anonymous: true, new RequestBody(
            [BodyField.Checked("email")],
            (_, _) => Task.FromResult(new GoodRequest(ForgotPassword, null, new JsonObject { ["email"] = ApiClient.NewEmail() }, HttpStatusCode.Accepted)))),
        new("POST", ResetPassword, Anonymous: true, new RequestBody(
            [BodyField.LookedUp("token", UnknownToken), BodyField.Free("newPassword")],
            async (api, client) =>
            {
                var email = ApiClient.NewEmail();
                await client.RegisterConfirmedAsync(email);
                Assert.Equal(HttpStatusCode.Accepted, (await client.ForgotPasswordAsync(email)).StatusCode);
                var token = await api.TokenFromNextLinkToAsync(email, AccountFlows.ResetPage);
                return new GoodRequest(ResetPassword, null, new JsonObject { ["token"] = token, ["newPassword"] = "a different horse battery" }, HttpStatusCode.NoContent);
            })),
        new("PUT", ChangeEmail, Anonymous: false, new RequestBody(
            [BodyField.Checked("newEmail"), BodyField.LookedUp("password", "not the password")],
            async (_, client) => new GoodRequest(
                ChangeEmail,
                await client.AccessTokenForNewUserAsync(),
                new JsonObject { ["newEmail"] = ApiClient.NewEmail("new"), ["password"] = ApiClient.Password },
                HttpStatusCode.Accepted))),
    ];
}
