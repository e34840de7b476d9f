using System.Net;
using Contoso.Orders.Api.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using static Contoso.Orders.Api.Tests.TwoFactor.TwoFactorAccount;

namespace Contoso.Orders.Api.Tests.TwoFactor;

/// <summary>"Security events" for two-factor sign-in: each change and each second step logged, never a code, secret or token.</summary>
[Collection(TwoFactorCollection.Name)]
public sealed class TwoFactorSecurityEventTests(ApiFactory api)
{
    [Fact]
    public async Task Enabling_signing_in_by_recovery_code_a_wrong_code_new_codes_and_disabling_are_logged_without_a_secret()
    {
        await using var app = new SecurityEventApp(api, new Dictionary<string, string?> { ["Auth:MaxFailedLoginsPerEmail"] = "2" });
        var user = await app.Client.NewUserWithTwoFactorAsync(DateTimeOffset.UtcNow);
        var userId = (await api.Database.ScalarAsync<Guid>($"SELECT id FROM users WHERE normalized_email = '{user.Email}'")).ToString();

        var mfaToken = await app.Client.StartLoginAsync(user.Email);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Client.SecondStepAsync(mfaToken, "2222-3333-4444")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.Client.SecondStepAsync(mfaToken, user.RecoveryCodes[0])).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.Client.PostJsonAsync(RecoveryCodesPath, new { password = ApiClient.Password, code = user.RecoveryCodes[1] }, user.AccessToken)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await app.Client.PostJsonAsync(DisablePath, new { password = ApiClient.Password, code = user.CodeAfter(1) }, user.AccessToken)).StatusCode);

        var updates = app.Events.Where(record => record.Id.Id == 9041).Select(record => record.GetStructuredStateValue("Attribute")).ToList();
        Assert.Equal(["two_factor_enabled", "recovery_code_used", "recovery_codes", "two_factor_disabled"], updates);
        Assert.All(app.Events.Where(record => record.Id.Id == 9041), record => Assert.Equal(userId, record.GetStructuredStateValue("TargetUserId")));
        var wrongCode = Assert.Single(app.Events, record => record.Id.Id == 9001);
        Assert.Equal("WrongCode", wrongCode.GetStructuredStateValue("Reason"));
        Assert.Equal(userId, wrongCode.GetStructuredStateValue("UserId"));
        Assert.Equal(2, app.Events.Count(record => record.Id.Id == 9000));
        app.AssertNoEventCarries([user.Email, ApiClient.Password, mfaToken, Contoso.Orders.Api.TwoFactor.AuthenticatorCodes.Base32(user.Secret),
            .. user.RecoveryCodes, .. user.RecoveryCodes.Select(code => code.Replace("-", "", StringComparison.Ordinal))]);
    }

    [Fact]
    public async Task A_second_step_refused_by_the_throttle_logs_authn_login_lock_with_the_user_id()
    {
        await using var app = new SecurityEventApp(api, new Dictionary<string, string?> { ["Auth:MaxFailedLoginsPerEmail"] = "1" });
        var user = await app.Client.NewUserWithTwoFactorAsync(DateTimeOffset.UtcNow);
        var userId = (await api.Database.ScalarAsync<Guid>($"SELECT id FROM users WHERE normalized_email = '{user.Email}'")).ToString();
        var mfaToken = await app.Client.StartLoginAsync(user.Email);

        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Client.SecondStepAsync(mfaToken, "2222-3333-4444")).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await app.Client.SecondStepAsync(mfaToken, user.RecoveryCodes[0])).StatusCode);

        Assert.Equal(userId, app.Single(9006, "authn_login_lock", LogLevel.Warning).GetStructuredStateValue("UserId"));
        app.AssertNoEventCarries(user.Email, mfaToken, user.RecoveryCodes[0]);
    }
}
