using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Contoso.Orders.Api.Email;
using Contoso.Orders.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using static Contoso.Orders.Api.Tests.TwoFactor.TwoFactorAccount;

namespace Contoso.Orders.Api.Tests.TwoFactor;

/// <summary>
/// "Two-factor sign-in", and security checklist points 32–34, through HTTP against PostgreSQL, with codes computed by
/// the tests' own RFC 6238 code on a clock the test moves.
/// </summary>
[Collection(TwoFactorCollection.Name)]
public sealed class TwoFactorTests(ApiFactory api)
{
    /// <summary>
    /// One clock and its apps for all the tests of the class (each test makes users of its own), started a second into
    /// a time step so that the tests know which step the apps are in; the tests move it by whole steps only.
    /// </summary>
    private static readonly ConditionalWeakTable<ApiFactory, Clocked> Shared = [];

    private readonly Clocked _shared = Shared.GetValue(api, _ => new Clocked(
        new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 30 * 30 + 1)), new()));

    private FakeTimeProvider _clock => _shared.Clock;

    [Fact]
    public async Task Setup_needs_the_password_and_turns_nothing_on_until_a_code_from_the_app_confirms_it()
    {
        var app = App();
        using var client = app.CreateClient();
        var (email, tokens) = await client.RegisterAndLoginAsync();
        var token = tokens.GetProperty("accessToken").GetString()!;

        var wrong = await client.PostJsonAsync(SetupPath, new { password = "not the password" }, token);
        Assert.True((await wrong.AssertProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("password", out _));
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostJsonAsync(EnablePath, new { code = "123456" }, token)).StatusCode);

        var setup = await client.PostJsonAsync(SetupPath, new { password = ApiClient.Password }, token);
        Assert.Equal(HttpStatusCode.OK, setup.StatusCode);
        Assert.Equal("no-store", setup.Headers.CacheControl?.ToString());
        var body = await setup.Content.ReadFromJsonAsync<JsonElement>();
        var uri = body.GetProperty("otpauthUri").GetString()!;
        var issuer = Uri.EscapeDataString(app.Services.GetRequiredService<IOptions<EmailSettings>>().Value.ProductName);
        Assert.StartsWith($"otpauth://totp/{issuer}%3A{Uri.EscapeDataString(email)}?secret={body.GetProperty("sharedKey").GetString()}&issuer={issuer}", uri, StringComparison.Ordinal);
        var first = TestTotp.FromBase32(body.GetProperty("sharedKey").GetString()!);
        var me = await MeAsync(client, token);
        Assert.False(me.GetProperty("twoFactorEnabled").GetBoolean());
        Assert.False(me.TryGetProperty("recoveryCodesLeft", out _));
        Assert.Equal(HttpStatusCode.OK, (await client.LoginAsync(email)).StatusCode);

        // A second setup replaces the pending secret: the first one's codes no longer enable.
        var second = await client.SetUpAsync(token);
        Assert.NotEqual(first, second);
        var stale = await client.PostJsonAsync(EnablePath, new { code = TestTotp.CodeAt(first, _clock.GetUtcNow()) }, token);
        Assert.True((await stale.AssertProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("code", out _));

        var enabled = await client.PostJsonAsync(EnablePath, new { code = TestTotp.CodeAt(second, _clock.GetUtcNow()) }, token);

        Assert.Equal(HttpStatusCode.OK, enabled.StatusCode);
        Assert.Equal("no-store", enabled.Headers.CacheControl?.ToString());
        var codes = (await enabled.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("recoveryCodes").EnumerateArray().Select(code => code.GetString()!).ToList();
        Assert.Equal(10, codes.Distinct().Count());
        me = await MeAsync(client, token);
        Assert.True(me.GetProperty("twoFactorEnabled").GetBoolean());
        Assert.Equal(10, me.GetProperty("recoveryCodesLeft").GetInt32());
        await NoticeAsync(email, "Two-factor sign-in is on");
        await (await client.PostJsonAsync(SetupPath, new { password = ApiClient.Password }, token)).AssertProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_login_asks_for_a_code_and_a_time_step_is_accepted_once_within_one_step_of_now()
    {
        var app = App();
        using var client = app.CreateClient();
        var user = await client.NewUserWithTwoFactorAsync(_clock.GetUtcNow());

        var login = await client.LoginAsync(user.Email);
        var problem = await login.AssertProblemAsync(HttpStatusCode.Forbidden);
        Assert.Equal("urn:problem-type:two-factor-required", problem.GetProperty("type").GetString());
        Assert.Equal(300, problem.GetProperty("mfaTokenExpiresIn").GetInt32());
        Assert.Equal(43, problem.GetProperty("mfaToken").GetString()!.Length);
        Assert.False(problem.TryGetProperty("accessToken", out _));
        var mfaToken = problem.GetProperty("mfaToken").GetString()!;

        // The enabling code's step is spent; the next step's code is good.
        await (await client.SecondStepAsync(mfaToken, user.CodeAfter(0))).AssertProblemAsync(HttpStatusCode.Unauthorized);
        await (await client.SecondStepAsync(mfaToken, "000000" == user.CodeAfter(1) ? "111111" : "000000")).AssertProblemAsync(HttpStatusCode.Unauthorized);
        var signedIn = await client.SecondStepAsync(mfaToken, user.CodeAfter(1));

        Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode);
        Assert.Equal("no-store", signedIn.Headers.CacheControl?.ToString());
        var access = (await signedIn.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString()!;
        Assert.Equal(["pwd", "otp", "mfa"], new JsonWebToken(access).GetPayloadValue<string[]>("amr"));
        Assert.Equal(HttpStatusCode.OK, (await client.GetMeAsync(access)).StatusCode);

        // The same code in a new login: refused, although still within the window.
        await (await client.SecondStepAsync(await client.StartLoginAsync(user.Email), user.CodeAfter(1))).AssertProblemAsync(HttpStatusCode.Unauthorized);

        // Three steps on, the step before now is accepted, and so is the one after; two steps away is not.
        _clock.Advance(TimeSpan.FromSeconds(90));
        Assert.Equal(HttpStatusCode.OK, (await client.SecondStepAsync(await client.StartLoginAsync(user.Email), user.CodeAfter(2))).StatusCode);
        var later = await client.StartLoginAsync(user.Email);
        await (await client.SecondStepAsync(later, user.CodeAfter(5))).AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.OK, (await client.SecondStepAsync(later, user.CodeAfter(4))).StatusCode);
    }

    [Fact]
    public async Task An_mfa_token_works_once_dies_after_its_lifetime_and_after_five_wrong_codes()
    {
        var app = App();
        using var client = app.CreateClient();
        var user = await client.NewUserWithTwoFactorAsync(_clock.GetUtcNow());
        var wrong = WrongCode(user, 1);

        var used = await client.StartLoginAsync(user.Email);
        Assert.Equal(HttpStatusCode.OK, (await client.SecondStepAsync(used, user.CodeAfter(1))).StatusCode);
        _clock.Advance(TimeSpan.FromSeconds(30));
        await (await client.SecondStepAsync(used, user.CodeAfter(2))).AssertProblemAsync(HttpStatusCode.Unauthorized);

        var expired = await client.StartLoginAsync(user.Email);
        _clock.Advance(TimeSpan.FromMinutes(5));
        await (await client.SecondStepAsync(expired, user.CodeAfter(12))).AssertProblemAsync(HttpStatusCode.Unauthorized);

        var worn = await client.StartLoginAsync(user.Email);
        for (var i = 0; i < 5; i++)
        {
            await (await client.SecondStepAsync(worn, wrong)).AssertProblemAsync(HttpStatusCode.Unauthorized);
        }

        await (await client.SecondStepAsync(worn, user.CodeAfter(12))).AssertProblemAsync(HttpStatusCode.Unauthorized);
        // The code was not spent by the dead token: a new login takes it.
        Assert.Equal(HttpStatusCode.OK, (await client.SecondStepAsync(await client.StartLoginAsync(user.Email), user.CodeAfter(12))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SecondStepAsync("an-unknown-token", user.CodeAfter(13))).StatusCode);
    }

    [Fact]
    public async Task Twenty_logins_sending_one_right_code_at_once_get_exactly_one_success()
    {
        var app = App();
        using var client = app.CreateClient();
        var user = await client.NewUserWithTwoFactorAsync(_clock.GetUtcNow());
        var mfaTokens = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            mfaTokens.Add(await client.StartLoginAsync(user.Email));
        }

        var answers = await Task.WhenAll(mfaTokens.Select(mfaToken => client.SecondStepAsync(mfaToken, user.CodeAfter(1))));

        Assert.Equal(1, answers.Count(answer => answer.StatusCode == HttpStatusCode.OK));
        Assert.Equal(19, answers.Count(answer => answer.StatusCode == HttpStatusCode.Unauthorized));

        // And one token sent twenty times at once with a code of the next step: one success.
        _clock.Advance(TimeSpan.FromSeconds(30));
        var shared = await client.StartLoginAsync(user.Email);
        var sameToken = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => client.SecondStepAsync(shared, user.CodeAfter(2))));
        Assert.Equal(1, sameToken.Count(answer => answer.StatusCode == HttpStatusCode.OK));
    }

    [Fact]
    public async Task Recovery_codes_each_work_once_are_counted_and_noticed_and_a_new_set_voids_the_old()
    {
        var app = App();
        using var client = app.CreateClient();
        var user = await client.NewUserWithTwoFactorAsync(_clock.GetUtcNow());

        var tokens = await client.LoginWithCodeAsync(user.Email, user.RecoveryCodes[0].ToLowerInvariant());
        var access = tokens.GetProperty("accessToken").GetString()!;
        Assert.Equal(["pwd", "otp", "mfa"], new JsonWebToken(access).GetPayloadValue<string[]>("amr"));
        await NoticeAsync(user.Email, "Signed in with a recovery code");
        Assert.Equal(9, (await MeAsync(client, access)).GetProperty("recoveryCodesLeft").GetInt32());
        await (await client.SecondStepAsync(await client.StartLoginAsync(user.Email), user.RecoveryCodes[0])).AssertProblemAsync(HttpStatusCode.Unauthorized);

        var renewal = await client.PostJsonAsync(RecoveryCodesPath, new { password = ApiClient.Password, code = user.RecoveryCodes[1] }, access);
        Assert.Equal(HttpStatusCode.OK, renewal.StatusCode);
        var renewed = (await renewal.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("recoveryCodes").EnumerateArray().Select(code => code.GetString()!).ToList();
        Assert.Equal(10, renewed.Count);
        Assert.Empty(renewed.Intersect(user.RecoveryCodes));
        await NoticeAsync(user.Email, "New recovery codes");
        Assert.Equal(10, (await MeAsync(client, access)).GetProperty("recoveryCodesLeft").GetInt32());

        var next = await client.StartLoginAsync(user.Email);
        await (await client.SecondStepAsync(next, user.RecoveryCodes[2])).AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.OK, (await client.SecondStepAsync(next, renewed[2])).StatusCode);
    }

    [Fact]
    public async Task Wrong_codes_are_throttled_per_account_with_retry_after_whatever_the_token()
    {
        var app = App(maxFailures: 5);
        using var client = app.CreateClient();
        var user = await client.NewUserWithTwoFactorAsync(_clock.GetUtcNow());
        var wrong = WrongCode(user, 1);

        var first = await client.StartLoginAsync(user.Email);
        for (var i = 0; i < 3; i++)
        {
            await (await client.SecondStepAsync(first, wrong)).AssertProblemAsync(HttpStatusCode.Unauthorized);
        }

        var second = await client.StartLoginAsync(user.Email);
        for (var i = 0; i < 2; i++)
        {
            await (await client.SecondStepAsync(second, wrong)).AssertProblemAsync(HttpStatusCode.Unauthorized);
        }

        var refused = await client.SecondStepAsync(second, user.CodeAfter(1));
        await refused.AssertProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.Equal(TimeSpan.FromMinutes(15), refused.Headers.RetryAfter?.Delta);
        // The password is still right (login is throttled per email, not here), and the factor changes are throttled too.
        await (await client.PostJsonAsync(RecoveryCodesPath, new { password = ApiClient.Password, code = user.CodeAfter(1) }, user.AccessToken))
            .AssertProblemAsync(HttpStatusCode.TooManyRequests);

        _clock.Advance(TimeSpan.FromMinutes(15));
        Assert.Equal(HttpStatusCode.OK, (await client.SecondStepAsync(await client.StartLoginAsync(user.Email), user.CodeAfter(30))).StatusCode);
    }

    [Fact]
    public async Task A_password_reset_leaves_two_factor_on_and_the_next_login_still_asks_for_a_code()
    {
        var app = App();
        using var client = app.CreateClient();
        var user = await client.NewUserWithTwoFactorAsync(_clock.GetUtcNow());

        Assert.Equal(HttpStatusCode.Accepted, (await client.ForgotPasswordAsync(user.Email)).StatusCode);
        var token = await api.Mail.TokenFromNextLinkToAsync(api.Database, user.Email, AccountFlows.ResetPage);
        Assert.Equal(HttpStatusCode.NoContent, (await client.ResetPasswordAsync(token, "a brand new passphrase")).StatusCode);

        var mfaToken = await client.StartLoginAsync(user.Email, "a brand new passphrase");
        Assert.Equal(HttpStatusCode.OK, (await client.SecondStepAsync(mfaToken, user.CodeAfter(1))).StatusCode);
    }

    [Fact]
    public async Task Disabling_needs_the_password_and_a_code_deletes_the_secret_and_codes_and_ends_every_other_session()
    {
        var app = App();
        using var client = app.CreateClient();
        var user = await client.NewUserWithTwoFactorAsync(_clock.GetUtcNow());
        var other = (await client.LoginWithCodeAsync(user.Email, user.CodeAfter(1))).GetProperty("accessToken").GetString()!;
        var caller = (await client.LoginWithCodeAsync(user.Email, user.RecoveryCodes[0])).GetProperty("accessToken").GetString()!;

        _clock.Advance(TimeSpan.FromSeconds(30));

        // A bearer token alone, or with a wrong password, or without a right code, changes nothing.
        await (await client.PostJsonAsync(DisablePath, new { code = user.RecoveryCodes[1] }, caller)).AssertProblemAsync(HttpStatusCode.BadRequest);
        var wrongPassword = await client.PostJsonAsync(DisablePath, new { password = "not the password", code = user.RecoveryCodes[1] }, caller);
        Assert.True((await wrongPassword.AssertProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("password", out _));
        var wrongCode = await client.PostJsonAsync(DisablePath, new { password = ApiClient.Password, code = WrongCode(user, 2) }, caller);
        Assert.True((await wrongCode.AssertProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("code", out _));
        Assert.True((await MeAsync(client, caller)).GetProperty("twoFactorEnabled").GetBoolean());

        var disabled = await client.PostJsonAsync(DisablePath, new { password = ApiClient.Password, code = user.CodeAfter(2) }, caller);

        Assert.Equal(HttpStatusCode.NoContent, disabled.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetMeAsync(other)).StatusCode);
        // Without sessions to tell the caller's tokens from the others, every token ends.
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetMeAsync(caller)).StatusCode);
        var userId = await api.Database.ScalarAsync<Guid>($"SELECT id FROM users WHERE normalized_email = '{user.Email}'");
        Assert.Equal(0L, await api.Database.ScalarAsync<long>($"SELECT (SELECT count(*) FROM authenticators WHERE user_id = '{userId}') + (SELECT count(*) FROM recovery_codes WHERE user_id = '{userId}')"));
        Assert.Equal(HttpStatusCode.OK, (await client.LoginAsync(user.Email)).StatusCode);
        await NoticeAsync(user.Email, "Two-factor sign-in is off");
    }

    [Fact]
    public async Task Deleting_the_account_with_two_factor_on_needs_a_code_too()
    {
        var app = App();
        using var client = app.CreateClient();
        var user = await client.NewUserWithTwoFactorAsync(_clock.GetUtcNow());

        var noCode = await client.DeleteAccountAsync(user.AccessToken);
        Assert.True((await noCode.AssertProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("code", out _));
        var wrong = await client.SendAsync(new HttpRequestMessage(HttpMethod.Delete, "/api/v1/users/me")
        {
            Content = JsonContent.Create(new { password = ApiClient.Password, code = WrongCode(user, 1) }),
        }.WithBearer(user.AccessToken));
        Assert.True((await wrong.AssertProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("code", out _));
        Assert.Equal(HttpStatusCode.OK, (await client.GetMeAsync(user.AccessToken)).StatusCode);

        var deleted = await client.SendAsync(new HttpRequestMessage(HttpMethod.Delete, "/api/v1/users/me")
        {
            Content = JsonContent.Create(new { password = ApiClient.Password, code = user.CodeAfter(1) }),
        }.WithBearer(user.AccessToken));

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetMeAsync(user.AccessToken)).StatusCode);
    }

    /// <summary>Checklist point 33: the database holds neither the secret (in any encoding) nor a recovery code nor an mfaToken.</summary>
    [Fact]
    public async Task Nothing_secret_is_kept_in_the_clear_in_any_table()
    {
        var app = App();
        using var client = app.CreateClient();
        var user = await client.NewUserWithTwoFactorAsync(_clock.GetUtcNow());
        var mfaToken = await client.StartLoginAsync(user.Email);

        var tables = await api.Database.ScalarAsync<string>(
            "SELECT string_agg(table_name, ',') FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'");
        var everything = new System.Text.StringBuilder();
        foreach (var table in tables.Split(','))
        {
            everything.Append(await api.Database.ScalarAsync<string>($"SELECT coalesce(string_agg(row_to_json(t)::text, ' '), '') FROM \"{table}\" t"));
        }

        var text = everything.ToString();
        Assert.Contains("authenticators", tables.Split(','));
        var secretForms = new[]
        {
            TestTotpBase32(user.Secret), Convert.ToBase64String(user.Secret), Convert.ToHexString(user.Secret), Convert.ToHexStringLower(user.Secret),
        };
        Assert.All(secretForms, form => Assert.DoesNotContain(form, text, StringComparison.OrdinalIgnoreCase));
        Assert.All(user.RecoveryCodes, code =>
        {
            Assert.DoesNotContain(code, text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(code.Replace("-", "", StringComparison.Ordinal), text, StringComparison.OrdinalIgnoreCase);
        });
        Assert.DoesNotContain(mfaToken, text, StringComparison.Ordinal);
    }

    private static string TestTotpBase32(byte[] secret) => Contoso.Orders.Api.TwoFactor.AuthenticatorCodes.Base32(secret);

    /// <summary>Six digits that are no code of the user's within two steps of the given one.</summary>
    private static string WrongCode(TwoFactorUser user, int step)
    {
        var near = Enumerable.Range(step - 2, 5).Select(user.CodeAfter).ToHashSet();
        return Enumerable.Range(0, 10).Select(digit => new string((char)('0' + digit), 6)).First(code => !near.Contains(code));
    }

    private Task NoticeAsync(string email, string subject) => Patience.UntilAsync(
        () => api.Mail.MessagesTo(email).Any(message => (message.Subject ?? "").Contains(subject, StringComparison.Ordinal)),
        $"the notice \"{subject}\"");

    private static async Task<JsonElement> MeAsync(HttpClient client, string token)
    {
        var response = await client.GetMeAsync(token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>The API on the tests' clock; <paramref name="maxFailures"/> sets the throttle's limit. Disposed with the factory.</summary>
    private WebApplicationFactory<Program> App(int maxFailures = 1_000_000) => _shared.Apps.GetOrAdd(maxFailures, _ => api.WithWebHostBuilder(builder =>
    {
        builder.ConfigureAppConfiguration((_, configuration) => configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Auth:MaxFailedLoginsPerEmail"] = maxFailures.ToString(CultureInfo.InvariantCulture),
            ["Auth:FailedLoginWindow"] = "00:15:00",
        }));
        builder.ConfigureServices(services => services.AddSingleton<TimeProvider>(_clock));
    }));

    private sealed record Clocked(FakeTimeProvider Clock, ConcurrentDictionary<int, WebApplicationFactory<Program>> Apps);
}
