using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Contoso.Orders.Api.Security;
using Contoso.Orders.Api.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Contoso.Orders.Api.Tests;

/// <summary>
/// Each security event of every variant (README.md, Security events): the flow that causes it logs exactly one record
/// with its id, OWASP name, level and fields, the client's address among them, and no event holds the request's
/// email, password or token.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class SecurityEventTests(ApiFactory api)
{
    [Fact]
    public async Task A_login_logs_authn_login_success_with_the_user_id()
    {
        await using var app = new SecurityEventApp(api);
        var email = ApiClient.NewEmail();
        var userId = await app.Client.RegisterUserAsync(email);

        var login = await app.Client.LoginAsync(email);

        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        var record = app.Single(9000, "authn_login_success", LogLevel.Information);
        Assert.Equal(userId.ToString(), record.GetStructuredStateValue("UserId"));
        var tokens = await login.Content.ReadFromJsonAsync<JsonElement>();
        app.AssertNoEventCarries([email, ApiClient.Password, .. TokensIn(tokens)]);
    }

    [Fact]
    public async Task An_unknown_address_logs_authn_login_fail_without_a_user_id()
    {
        await using var app = new SecurityEventApp(api);
        var email = ApiClient.NewEmail("unknown");

        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Client.LoginAsync(email)).StatusCode);

        var record = app.Single(9001, "authn_login_fail", LogLevel.Warning);
        Assert.Equal(nameof(LoginFailureReason.UnknownAccount), record.GetStructuredStateValue("Reason"));
        Assert.Null(record.GetStructuredStateValue("UserId"));
        app.AssertNoEventCarries(email, ApiClient.Password);
    }

    [Fact]
    public async Task A_malformed_address_logs_authn_login_fail_without_the_address()
    {
        await using var app = new SecurityEventApp(api);
        var email = $"no-at-sign-{Guid.NewGuid():N}.example.com";

        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Client.LoginAsync(email)).StatusCode);

        var record = app.Single(9001, "authn_login_fail", LogLevel.Warning);
        Assert.Equal(nameof(LoginFailureReason.MalformedEmail), record.GetStructuredStateValue("Reason"));
        Assert.Null(record.GetStructuredStateValue("UserId"));
        app.AssertNoEventCarries(email, ApiClient.Password);
    }

    [Fact]
    public async Task A_login_refused_by_the_throttle_logs_authn_login_fail_max_without_the_email_or_a_user_id()
    {
        await using var app = new SecurityEventApp(api, new Dictionary<string, string?> { ["Auth:MaxFailedLoginsPerEmail"] = "1" });
        var email = ApiClient.NewEmail();
        await app.Client.RegisterUserAsync(email);
        var wrongPassword = $"wrong-{Guid.NewGuid():N}";

        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Client.LoginAsync(email, wrongPassword)).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await app.Client.LoginAsync(email)).StatusCode);

        var record = app.Single(9004, "authn_login_fail_max", LogLevel.Warning);
        Assert.Equal("1", record.GetStructuredStateValue("MaxFailures"));
        Assert.Null(record.GetStructuredStateValue("UserId"));
        // Refused before the password is checked: the one failure is the only authn_login_fail, and nothing succeeds.
        Assert.Single(app.Events, e => e.Id.Id == 9001);
        Assert.DoesNotContain(app.Events, e => e.Id.Id == 9000);
        app.AssertNoEventCarries(email, wrongPassword, ApiClient.Password);
    }

    [Fact]
    public async Task A_wrong_password_logs_authn_login_fail_with_the_user_id_and_a_reason_the_client_never_sees()
    {
        await using var app = new SecurityEventApp(api);
        var email = ApiClient.NewEmail();
        var userId = await app.Client.RegisterUserAsync(email);
        var wrongPassword = $"wrong-{Guid.NewGuid():N}";

        var response = await app.Client.LoginAsync(email, wrongPassword);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.DoesNotContain(nameof(LoginFailureReason.WrongPassword), await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
        var record = app.Single(9001, "authn_login_fail", LogLevel.Warning);
        Assert.Equal(nameof(LoginFailureReason.WrongPassword), record.GetStructuredStateValue("Reason"));
        Assert.Equal(userId.ToString(), record.GetStructuredStateValue("UserId"));
        app.AssertNoEventCarries(email, wrongPassword, ApiClient.Password);
    }

    [Fact]
    public async Task A_deactivated_account_logs_authn_login_fail_as_deactivated()
    {
        await using var app = new SecurityEventApp(api);
        var email = ApiClient.NewEmail();
        var userId = await app.Client.RegisterUserAsync(email);
        await api.Database.ExecuteAsync($"UPDATE users SET is_active = false WHERE id = '{userId}'");

        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Client.LoginAsync(email)).StatusCode);

        var record = app.Single(9001, "authn_login_fail", LogLevel.Warning);
        Assert.Equal(nameof(LoginFailureReason.Deactivated), record.GetStructuredStateValue("Reason"));
        Assert.Equal(userId.ToString(), record.GetStructuredStateValue("UserId"));
        app.AssertNoEventCarries(email, ApiClient.Password);
    }

    [Fact]
    public async Task Registration_logs_user_created_and_an_unconfirmed_login_logs_authn_login_fail_as_unconfirmed()
    {
        await using var app = new SecurityEventApp(api);
        var email = ApiClient.NewEmail();

        Assert.Equal(HttpStatusCode.Accepted, (await app.Client.RegisterAsync(email)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await app.Client.LoginAsync(email)).StatusCode);

        var userId = (await api.Database.ScalarAsync<Guid>($"SELECT id FROM users WHERE normalized_email = '{email}'")).ToString();
        var created = app.Single(9040, "user_created", LogLevel.Warning);
        Assert.Equal(userId, created.GetStructuredStateValue("NewUserId"));
        var refused = app.Single(9001, "authn_login_fail", LogLevel.Warning);
        Assert.Equal(nameof(LoginFailureReason.Unconfirmed), refused.GetStructuredStateValue("Reason"));
        Assert.Equal(userId, refused.GetStructuredStateValue("UserId"));
        app.AssertNoEventCarries(email, ApiClient.Password);
    }

    [Fact]
    public async Task Registering_a_taken_address_creates_no_user_and_logs_no_user_created()
    {
        await using var app = new SecurityEventApp(api);
        var email = ApiClient.NewEmail();
        await app.Client.RegisterUserAsync(email);

        Assert.Equal(HttpStatusCode.Accepted, (await app.Client.RegisterAsync(email)).StatusCode);

        Assert.Single(app.Events, record => record.Id.Id == 9040);
    }

    [Fact]
    public async Task Following_a_confirmation_link_logs_user_updated()
    {
        await using var app = new SecurityEventApp(api);
        var email = ApiClient.NewEmail();
        Assert.Equal(HttpStatusCode.Accepted, (await app.Client.RegisterAsync(email)).StatusCode);
        var token = await api.TokenFromNextMessageAsync(email, AccountFlows.ConfirmPage);

        Assert.Equal(HttpStatusCode.NoContent, (await app.Client.ConfirmEmailAsync(token)).StatusCode);

        var userId = (await api.Database.ScalarAsync<Guid>($"SELECT id FROM users WHERE normalized_email = '{email}'")).ToString();
        var record = app.Single(9041, "user_updated", LogLevel.Warning);
        Assert.Equal(userId, record.GetStructuredStateValue("UserId"));
        Assert.Equal(userId, record.GetStructuredStateValue("TargetUserId"));
        Assert.Equal("email_confirmed", record.GetStructuredStateValue("Attribute"));
        app.AssertNoEventCarries(email, token, ApiClient.Password);
    }

    [Fact]
    public async Task Moving_an_account_to_a_new_address_logs_user_updated_without_either_address()
    {
        await using var app = new SecurityEventApp(api);
        var email = ApiClient.NewEmail();
        var userId = await app.Client.RegisterUserAsync(email);
        var access = await AccessTokenAsync(app.Client, email, ApiClient.Password);
        var newEmail = ApiClient.NewEmail("moved");
        Assert.Equal(HttpStatusCode.Accepted, (await app.Client.ChangeEmailAsync(access, newEmail)).StatusCode);
        var token = await api.TokenFromNextLinkToAsync(newEmail, AccountFlows.ConfirmPage);

        Assert.Equal(HttpStatusCode.NoContent, (await app.Client.ConfirmEmailAsync(token)).StatusCode);

        var record = app.Single(9041, "user_updated", LogLevel.Warning);
        Assert.Equal(userId.ToString(), record.GetStructuredStateValue("UserId"));
        Assert.Equal(userId.ToString(), record.GetStructuredStateValue("TargetUserId"));
        Assert.Equal("email", record.GetStructuredStateValue("Attribute"));
        app.AssertNoEventCarries(email, newEmail, token, access, ApiClient.Password);
    }

    [Fact]
    public async Task Changing_the_password_logs_authn_password_change_and_a_wrong_current_one_authn_password_change_fail()
    {
        await using var app = new SecurityEventApp(api);
        var email = ApiClient.NewEmail();
        var userId = (await app.Client.RegisterUserAsync(email)).ToString();
        var access = await AccessTokenAsync(app.Client, email, ApiClient.Password);
        var wrong = $"wrong-{Guid.NewGuid():N}";
        var newPassword = $"a new passphrase {Guid.NewGuid():N}";

        Assert.Equal(HttpStatusCode.BadRequest, (await app.Client.ChangePasswordAsync(access, wrong, newPassword)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await app.Client.ChangePasswordAsync(access, ApiClient.Password, newPassword)).StatusCode);

        Assert.Equal(userId, app.Single(9003, "authn_password_change_fail", LogLevel.Critical).GetStructuredStateValue("UserId"));
        var changed = app.Single(9002, "authn_password_change", LogLevel.Information);
        Assert.Equal(userId, changed.GetStructuredStateValue("UserId"));
        Assert.Equal("change", changed.GetStructuredStateValue("Method"));
        app.AssertNoEventCarries(email, wrong, newPassword, access, ApiClient.Password);
    }

    [Fact]
    public async Task Deleting_the_account_logs_user_deleted_and_a_wrong_password_authz_fail()
    {
        await using var app = new SecurityEventApp(api);
        var email = ApiClient.NewEmail();
        var userId = (await app.Client.RegisterUserAsync(email)).ToString();
        var access = await AccessTokenAsync(app.Client, email, ApiClient.Password);
        var wrong = $"wrong-{Guid.NewGuid():N}";

        Assert.Equal(HttpStatusCode.BadRequest, (await app.Client.DeleteAccountAsync(access, wrong)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await app.Client.DeleteAccountAsync(access)).StatusCode);

        var refused = app.Single(9020, "authz_fail", LogLevel.Critical);
        Assert.Equal(userId, refused.GetStructuredStateValue("UserId"));
        Assert.Equal("DELETE /api/v1/users/me", refused.GetStructuredStateValue("Resource"));
        Assert.Equal(userId, app.Single(9042, "user_deleted", LogLevel.Warning).GetStructuredStateValue("UserId"));
        app.AssertNoEventCarries(email, wrong, access, ApiClient.Password);
    }

    [Fact]
    public async Task A_reset_logs_authn_password_change()
    {
        await using var app = new SecurityEventApp(api);
        var email = ApiClient.NewEmail();
        var userId = (await app.Client.RegisterUserAsync(email)).ToString();
        Assert.Equal(HttpStatusCode.Accepted, (await app.Client.ForgotPasswordAsync(email)).StatusCode);
        var token = await api.TokenFromNextLinkToAsync(email, AccountFlows.ResetPage);
        var newPassword = $"a reset passphrase {Guid.NewGuid():N}";

        Assert.Equal(HttpStatusCode.NoContent, (await app.Client.ResetPasswordAsync(token, newPassword)).StatusCode);

        var reset = app.Single(9002, "authn_password_change", LogLevel.Information);
        Assert.Equal(userId, reset.GetStructuredStateValue("UserId"));
        Assert.Equal("reset", reset.GetStructuredStateValue("Method"));
        app.AssertNoEventCarries(email, token, newPassword, ApiClient.Password);
    }

    [Fact]
    public async Task A_request_without_a_valid_token_logs_authz_fail_with_the_route_not_the_token()
    {
        await using var app = new SecurityEventApp(api);
        var forged = $"not.a.token-{Guid.NewGuid():N}";

        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Client.GetMeAsync(forged)).StatusCode);

        var record = app.Single(9020, "authz_fail", LogLevel.Critical);
        Assert.Equal("401", record.GetStructuredStateValue("Status"));
        Assert.Equal("GET /api/v1/users/me", record.GetStructuredStateValue("Resource"));
        Assert.Null(record.GetStructuredStateValue("UserId"));
        app.AssertNoEventCarries(forged);
    }

    [Fact]
    public async Task A_refused_login_logs_no_authz_fail_and_an_anonymous_endpoint_none_at_all()
    {
        await using var app = new SecurityEventApp(api);

        await app.Client.LoginAsync(ApiClient.NewEmail("unknown"));
        await app.Client.GetAsync("/health/live");

        Assert.DoesNotContain(app.Events, record => record.Id.Id == 9020);
    }

    [Fact]
    public async Task A_rate_limited_request_logs_excess_rate_limit_exceeded()
    {
        await using var app = new SecurityEventApp(api, new Dictionary<string, string?> { ["RateLimiting:PermitLimit"] = "1" });
        var email = ApiClient.NewEmail("unknown");

        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Client.LoginAsync(email)).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await app.Client.LoginAsync(email)).StatusCode);

        var record = app.Single(9050, "excess_rate_limit_exceeded", LogLevel.Warning);
        Assert.Equal("POST /api/v1/auth/login", record.GetStructuredStateValue("Resource"));
        Assert.Null(record.GetStructuredStateValue("UserId"));
        app.AssertNoEventCarries(email, ApiClient.Password);
    }

    [Fact]
    public void Every_event_id_is_in_the_reserved_range_and_named_from_the_vocabulary()
    {
        var methods = typeof(SecurityEvents).GetMethods(System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)
            .Select(method => method.GetCustomAttributes(typeof(LoggerMessageAttribute), false).Cast<LoggerMessageAttribute>().SingleOrDefault())
            .OfType<LoggerMessageAttribute>()
            .ToList();

        Assert.NotEmpty(methods);
        Assert.All(methods, attribute => Assert.InRange(attribute.EventId, 9000, 9099));
        Assert.Equal(methods.Count, methods.Select(attribute => attribute.EventId).Distinct().Count());
        Assert.Equal(methods.Count, methods.Select(attribute => attribute.EventName).Distinct().Count());
        Assert.All(methods, attribute => Assert.StartsWith("{SecurityEvent}: ", attribute.Message, StringComparison.Ordinal));
        Assert.All(methods, attribute => Assert.Matches("^(authn|authz|user|excess)_[a-z_]+$", attribute.EventName!));
    }

    private static async Task<string> AccessTokenAsync(HttpClient client, string email, string password)
    {
        var login = await client.LoginAsync(email, password);
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        return (await login.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString()!;
    }

    /// <summary>Every token of a login's answer: the access token, and any other the variant issues.</summary>
    public static IEnumerable<string> TokensIn(JsonElement tokens) =>
        tokens.EnumerateObject().Where(property => property.Name.EndsWith("Token", StringComparison.Ordinal)).Select(property => property.Value.GetString()!);
}
