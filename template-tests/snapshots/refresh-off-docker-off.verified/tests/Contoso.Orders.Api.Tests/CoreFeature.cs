using System.Net;
using System.Text.Json.Nodes;
using Contoso.Orders.Api.Tests.Infrastructure;
using Contoso.Orders.Api.Tests.TwoFactor;

namespace Contoso.Orders.Api.Tests;

/// <summary>The endpoints every variant has.</summary>
public sealed class CoreFeature : IApiFeature
{
    private const string Register = "/api/v1/auth/register";
    private const string Login = "/api/v1/auth/login";
    private const string ChangePassword = "/api/v1/users/me/password";
    private const string Me = "/api/v1/users/me";

    public IEnumerable<ApiEndpoint> Endpoints =>
    [
        new("GET", "/health/live", Anonymous: true),
        new("GET", "/health/ready", Anonymous: true),
        new("GET", "/openapi/{documentName}.json", Anonymous: true),
        new("GET", "/.well-known/jwks.json", Anonymous: true),
        new("GET", "/.well-known/openid-configuration", Anonymous: true),
        new("POST", Register, Anonymous: true, new RequestBody(
            [BodyField.Checked("email"), BodyField.Free("password")],
            (_, _) => Task.FromResult(new GoodRequest(
                Register, null, new JsonObject { ["email"] = ApiClient.NewEmail(), ["password"] = ApiClient.Password }, HttpStatusCode.Accepted)))),
        new("POST", Login, Anonymous: true, new RequestBody(
            [BodyField.LookedUp("email", ApiClient.NewEmail("nobody")), BodyField.LookedUp("password", "not the password")],
            async (_, client) =>
            {
                var email = ApiClient.NewEmail();
                await client.RegisterConfirmedAsync(email);
                return new GoodRequest(Login, null, new JsonObject { ["email"] = email, ["password"] = ApiClient.Password }, HttpStatusCode.OK);
            })),
        new("GET", "/api/v1/users/me", Anonymous: false),
        new("PUT", ChangePassword, Anonymous: false, new RequestBody(
            [BodyField.LookedUp("currentPassword", "not the password"), BodyField.Free("newPassword")],
            async (_, client) => new GoodRequest(
                ChangePassword,
                await client.AccessTokenForNewUserAsync(),
                new JsonObject { ["currentPassword"] = ApiClient.Password, ["newPassword"] = "a different horse battery" },
                HttpStatusCode.NoContent))),
        // The code is asked only with two-factor sign-in on: the good request's user has it on, so that the code is checked.
        new("DELETE", Me, Anonymous: false, new RequestBody(
            [BodyField.LookedUp("password", "not the password"), BodyField.LookedUp("code", "2222-3333-4444")],
            async (_, client) =>
            {
                var user = await client.NewUserWithTwoFactorAsync(DateTimeOffset.UtcNow);
                return new GoodRequest(Me, user.AccessToken, new JsonObject { ["password"] = ApiClient.Password, ["code"] = user.RecoveryCodes[0] }, HttpStatusCode.NoContent);
            })),
    ];
}
