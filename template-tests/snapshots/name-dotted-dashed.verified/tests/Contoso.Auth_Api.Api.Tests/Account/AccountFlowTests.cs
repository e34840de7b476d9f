using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Contoso.Auth_Api.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Contoso.Auth_Api.Api.Tests.Account;

/// <summary>
/// The account email flows end to end, through HTTP and a real SMTP server: what arrives, what its token does, and
/// that nothing tells whether an account exists (security checklist points 25 to 28).
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class AccountFlowTests(ApiFactory api)
{
    private const string ConfirmPage = "https://app.example.com/confirm-email";
    private const string ResetPage = "https://app.example.com/reset-password";
    private const string NewPassword = "a freshly reset passphrase";

    private readonly HttpClient _client = api.CreateClient();

    [Fact]
    public async Task Register_sends_a_confirmation_whose_token_confirms_the_address_and_then_login_works()
    {
        var email = ApiClient.NewEmail("confirm");

        Assert.Equal(HttpStatusCode.Accepted, (await _client.RegisterAsync(email)).StatusCode);
        var token = await TokenFromNextMessageAsync(email, ConfirmPage);
        var beforeConfirming = await _client.LoginAsync(email);
        var confirmed = await _client.ConfirmEmailAsync(token);
        var login = await _client.LoginAsync(email);

        var problem = await beforeConfirming.AssertProblemAsync(HttpStatusCode.Forbidden);
        Assert.EndsWith("email-not-confirmed", problem.GetProperty("type").GetString());
        Assert.Equal(HttpStatusCode.NoContent, confirmed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        var me = await (await _client.GetMeAsync((await login.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString()!))
            .Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(me.GetProperty("emailConfirmed").GetBoolean());
    }

    [Fact]
    public async Task Resending_supersedes_the_earlier_confirmation()
    {
        var email = ApiClient.NewEmail("resend");
        await _client.RegisterAsync(email);
        var first = await TokenFromNextMessageAsync(email, ConfirmPage);

        Assert.Equal(HttpStatusCode.Accepted, (await _client.ResendConfirmationAsync(email.ToUpperInvariant())).StatusCode);
        var second = await TokenFromNextMessageAsync(email, ConfirmPage);

        await (await _client.ConfirmEmailAsync(first)).AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal(HttpStatusCode.NoContent, (await _client.ConfirmEmailAsync(second)).StatusCode);
    }

    [Fact]
    public async Task Registering_an_existing_address_notifies_its_owner_and_sends_no_token()
    {
        var (email, _) = await NewAccountAsync();

        Assert.Equal(HttpStatusCode.Accepted, (await _client.RegisterAsync(email, "someone else's passphrase")).StatusCode);
        var notice = await api.Mail.NextMessageToAsync(email);

        Assert.DoesNotContain("token=", notice.TextBody);
        Assert.Equal(HttpStatusCode.OK, (await _client.LoginAsync(email)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _client.LoginAsync(email, "someone else's passphrase")).StatusCode);
    }

    [Fact]
    public async Task A_reset_sets_the_password_ends_every_session_notifies_the_owner_and_does_not_log_in()
    {
        var (email, firstLogin) = await NewAccountAsync();
        var secondLogin = await (await _client.LoginAsync(email)).Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.Accepted, (await _client.ForgotPasswordAsync(email)).StatusCode);
        var token = await TokenFromNextMessageAsync(email, ResetPage);
        var reset = await _client.ResetPasswordAsync(token, NewPassword);

        Assert.Equal(HttpStatusCode.NoContent, reset.StatusCode);
        Assert.Empty(await reset.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, (await _client.LoginAsync(email)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _client.LoginAsync(email, NewPassword)).StatusCode);
        foreach (var earlier in new[] { firstLogin, secondLogin })
        {
            await (await _client.GetMeAsync(earlier.GetProperty("accessToken").GetString()!)).AssertProblemAsync(HttpStatusCode.Unauthorized);
        }

        var notice = await api.Mail.NextMessageToAsync(email);
        Assert.Contains("password", notice.Subject, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("token=", notice.TextBody);
    }

    [Fact]
    public async Task Changing_the_password_notifies_the_owner()
    {
        var (email, tokens) = await NewAccountAsync();

        var changed = await _client.ChangePasswordAsync(tokens.GetProperty("accessToken").GetString()!, ApiClient.Password, NewPassword);

        Assert.Equal(HttpStatusCode.NoContent, changed.StatusCode);
        Assert.Contains("password", (await api.Mail.NextMessageToAsync(email)).Subject, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_reset_token_also_confirms_the_address()
    {
        var email = ApiClient.NewEmail("reset-confirms");
        await _client.RegisterAsync(email);
        await api.Mail.NextMessageToAsync(email);

        await _client.ForgotPasswordAsync(email);
        var token = await TokenFromNextMessageAsync(email, ResetPage);

        Assert.Equal(HttpStatusCode.NoContent, (await _client.ResetPasswordAsync(token, NewPassword)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _client.LoginAsync(email, NewPassword)).StatusCode);
    }

    [Fact]
    public async Task Changing_the_address_confirms_the_new_one_notifies_the_old_one_and_then_logs_in_with_the_new_one()
    {
        var (oldEmail, tokens) = await NewAccountAsync();
        var newEmail = ApiClient.NewEmail("moved");

        var requested = await _client.ChangeEmailAsync(tokens.GetProperty("accessToken").GetString()!, newEmail);
        var token = await TokenFromNextMessageAsync(newEmail, ConfirmPage);
        var requestNotice = await api.Mail.NextMessageToAsync(oldEmail);
        var loginBeforeConfirming = await _client.LoginAsync(newEmail);
        var confirmed = await _client.ConfirmEmailAsync(token);

        Assert.Equal(HttpStatusCode.Accepted, requested.StatusCode);
        Assert.Contains(newEmail, requestNotice.TextBody);
        Assert.DoesNotContain("token=", requestNotice.TextBody);
        Assert.Equal(HttpStatusCode.Unauthorized, loginBeforeConfirming.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, confirmed.StatusCode);
        var login = await _client.LoginAsync(newEmail);
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _client.LoginAsync(oldEmail)).StatusCode);
        var me = await (await _client.GetMeAsync((await login.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString()!))
            .Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(newEmail, me.GetProperty("email").GetString());
        var changedNotice = await api.Mail.NextMessageToAsync(oldEmail);
        Assert.Contains(newEmail, changedNotice.TextBody);
        await (await _client.ConfirmEmailAsync(token)).AssertProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Changing_to_an_address_another_account_holds_notifies_that_holder_instead_and_changes_nothing()
    {
        var (holder, _) = await NewAccountAsync();
        var (email, tokens) = await NewAccountAsync();

        var requested = await _client.ChangeEmailAsync(tokens.GetProperty("accessToken").GetString()!, holder.ToUpperInvariant());
        var notice = await api.Mail.NextMessageToAsync(holder);

        Assert.Equal(HttpStatusCode.Accepted, requested.StatusCode);
        Assert.DoesNotContain("token=", notice.TextBody);
        await api.Mail.NextMessageToAsync(email);
        Assert.Equal(HttpStatusCode.OK, (await _client.LoginAsync(email)).StatusCode);
    }

    [Fact]
    public async Task Changing_the_address_needs_the_current_password()
    {
        var (_, tokens) = await NewAccountAsync();

        var response = await _client.ChangeEmailAsync(tokens.GetProperty("accessToken").GetString()!, ApiClient.NewEmail(), "not the password");

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("password", out _));
    }

    [Fact]
    public async Task Changing_the_address_answers_401_without_a_token()
    {
        var response = await _client.PutAsJsonAsync("/api/v1/users/me/email", new { newEmail = ApiClient.NewEmail(), password = ApiClient.Password });

        await response.AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_reset_cancels_a_pending_email_change()
    {
        var (email, tokens) = await NewAccountAsync();
        var newEmail = ApiClient.NewEmail("cancelled");
        await _client.ChangeEmailAsync(tokens.GetProperty("accessToken").GetString()!, newEmail);
        var changeToken = await TokenFromNextMessageAsync(newEmail, ConfirmPage);

        await _client.ForgotPasswordAsync(email);
        var resetToken = await api.Database.CommittedAsync(AccountFlows.TokenIn(await LastMessageWithTokenToAsync(email), ResetPage));
        Assert.Equal(HttpStatusCode.NoContent, (await _client.ResetPasswordAsync(resetToken, NewPassword)).StatusCode);

        await (await _client.ConfirmEmailAsync(changeToken)).AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal(HttpStatusCode.OK, (await _client.LoginAsync(email, NewPassword)).StatusCode);
    }

    [Fact]
    public async Task Forgot_password_for_an_unknown_or_deactivated_address_sends_nothing()
    {
        var (deactivated, _) = await NewAccountAsync();
        await api.Database.ExecuteAsync($"UPDATE users SET is_active = false WHERE normalized_email = '{deactivated}'");
        var unknown = ApiClient.NewEmail("nobody");

        Assert.Equal(HttpStatusCode.Accepted, (await _client.ForgotPasswordAsync(unknown)).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await _client.ForgotPasswordAsync(deactivated)).StatusCode);

        await api.Mail.AssertNoMoreMessagesToAsync(unknown, 0);
        Assert.Single(api.Mail.MessagesTo(deactivated)); // the confirmation, from before the deactivation
    }

    [Fact]
    public async Task Every_unusable_token_gets_one_identical_400()
    {
        // Used: a confirmation spent once.
        var usedEmail = ApiClient.NewEmail("used");
        await _client.RegisterAsync(usedEmail);
        var used = await TokenFromNextMessageAsync(usedEmail, ConfirmPage);
        Assert.Equal(HttpStatusCode.NoContent, (await _client.ConfirmEmailAsync(used)).StatusCode);
        // Superseded: a reset followed by a newer one.
        var (supersededEmail, _) = await NewAccountAsync();
        await _client.ForgotPasswordAsync(supersededEmail);
        var superseded = await TokenFromNextMessageAsync(supersededEmail, ResetPage);
        await _client.ForgotPasswordAsync(supersededEmail);
        await TokenFromNextMessageAsync(supersededEmail, ResetPage);
        // Wrong purpose: a live reset token presented to confirm-email, and a live confirmation to reset-password.
        var (resetEmail, _) = await NewAccountAsync();
        await _client.ForgotPasswordAsync(resetEmail);
        var resetToken = await TokenFromNextMessageAsync(resetEmail, ResetPage);
        var confirmEmail = ApiClient.NewEmail("purpose");
        await _client.RegisterAsync(confirmEmail);
        var confirmToken = await TokenFromNextMessageAsync(confirmEmail, ConfirmPage);

        var responses = new[]
        {
            await _client.ConfirmEmailAsync(used),
            await _client.ResetPasswordAsync(superseded, NewPassword),
            await _client.ConfirmEmailAsync(resetToken),
            await _client.ResetPasswordAsync(confirmToken, NewPassword),
            await _client.ConfirmEmailAsync("not a token at all"),
            await _client.ResetPasswordAsync(new string('A', 43), NewPassword),
            await _client.ConfirmEmailAsync(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(new byte[32])),
            await _client.ResetPasswordAsync(new string('x', 5080), NewPassword),
        };

        foreach (var response in responses)
        {
            await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        }

        Assert.Single((await Task.WhenAll(responses.Select(r => r.Content.ReadAsStringAsync()))).Distinct());
        // The wrong-purpose tokens were not spent by being refused.
        Assert.Equal(HttpStatusCode.NoContent, (await _client.ResetPasswordAsync(resetToken, NewPassword)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await _client.ConfirmEmailAsync(confirmToken)).StatusCode);
    }

    [Fact]
    public async Task A_reset_token_works_for_30_minutes_then_gets_the_same_400_as_an_unknown_one()
    {
        var (first, _) = await NewAccountAsync();
        var (second, _) = await NewAccountAsync();
        await _client.ForgotPasswordAsync(first);
        await _client.ForgotPasswordAsync(second);
        var firstToken = await TokenFromNextMessageAsync(first, ResetPage);
        var secondToken = await TokenFromNextMessageAsync(second, ResetPage);
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow + TimeSpan.FromMinutes(29));
        await using var later = api.WithWebHostBuilder(builder => builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(clock)));
        using var client = later.CreateClient();

        var beforeExpiry = await client.ResetPasswordAsync(firstToken, NewPassword);
        clock.Advance(TimeSpan.FromMinutes(2));
        var expired = await client.ResetPasswordAsync(secondToken, NewPassword);
        var unknown = await client.ResetPasswordAsync(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(new byte[32]), NewPassword);

        Assert.Equal(HttpStatusCode.NoContent, beforeExpiry.StatusCode);
        await expired.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal(await unknown.Content.ReadAsStringAsync(), await expired.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Two_concurrent_resets_with_one_token_give_exactly_one_204()
    {
        var (email, _) = await NewAccountAsync();
        await _client.ForgotPasswordAsync(email);
        var token = await TokenFromNextMessageAsync(email, ResetPage);

        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => _client.ResetPasswordAsync(token, $"{NewPassword} {i}")));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.NoContent);
        Assert.All(responses.Where(r => r.StatusCode != HttpStatusCode.NoContent), r => Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode));
    }

    [Fact]
    public async Task Beyond_the_hourly_limit_for_an_address_the_answer_stays_202_and_nothing_more_is_sent()
    {
        // The confirmation counts too: with the default limit of 3, two reset emails may follow it this hour.
        var (email, _) = await NewAccountAsync();

        var responses = new List<HttpResponseMessage>();
        for (var i = 0; i < 5; i++)
        {
            responses.Add(await _client.ForgotPasswordAsync(email));
        }

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Accepted, r.StatusCode));
        Assert.Single((await Task.WhenAll(responses.Select(r => r.Content.ReadAsStringAsync()))).Distinct());
        await api.Mail.NextMessageToAsync(email);
        await api.Mail.NextMessageToAsync(email);
        await api.Mail.AssertNoMoreMessagesToAsync(email, 3);
    }

    [Fact]
    public async Task An_unconfirmed_account_answers_401_to_a_wrong_password_like_an_unknown_address()
    {
        var email = ApiClient.NewEmail("unconfirmed");
        await _client.RegisterAsync(email);

        var wrongPassword = await _client.LoginAsync(email, "not the password");
        var unknown = await _client.LoginAsync(ApiClient.NewEmail("nobody"), "not the password");

        await wrongPassword.AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal(await unknown.Content.ReadAsStringAsync(), await wrongPassword.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Without_RequireConfirmedEmail_an_unconfirmed_account_logs_in()
    {
        await using var app = api.WithSettings(new Dictionary<string, string?> { ["Auth:RequireConfirmedEmail"] = "false" });
        using var client = app.CreateClient();
        var email = ApiClient.NewEmail("lenient");
        await client.RegisterAsync(email);

        var login = await client.LoginAsync(email);

        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
    }

    [Fact]
    public async Task Tokens_are_stored_only_as_sha256_hashes()
    {
        var email = ApiClient.NewEmail("stored");
        await _client.RegisterAsync(email);
        var token = await TokenFromNextMessageAsync(email, ConfirmPage);
        var hashHex = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token)));

        Assert.Equal(32, Microsoft.IdentityModel.Tokens.Base64UrlEncoder.DecodeBytes(token).Length);
        Assert.Equal(1L, await api.Database.ScalarAsync<long>($"SELECT count(*) FROM account_tokens WHERE token_hash = decode('{hashHex}', 'hex')"));
        Assert.Equal(0L, await api.Database.ScalarAsync<long>(
            $"SELECT count(*) FROM account_tokens AS t WHERE t::text LIKE '%{token}%'"));
    }

    public static TheoryData<string> AddressEndpoints => ["register", "resend-confirmation", "forgot-password", "change-email"];

    [Theory]
    [MemberData(nameof(AddressEndpoints))]
    public async Task An_existing_and_an_unknown_address_get_the_same_status_and_byte_identical_body(string endpoint)
    {
        var (existing, _) = await NewAccountAsync();
        var (_, caller) = await NewAccountAsync();
        var unknown = ApiClient.NewEmail("nobody");

        var forExisting = await SendAsync(endpoint, existing, caller);
        var forUnknown = await SendAsync(endpoint, unknown, caller);

        Assert.Equal(HttpStatusCode.Accepted, forExisting.StatusCode);
        Assert.Equal(forExisting.StatusCode, forUnknown.StatusCode);
        Assert.Equal(await forExisting.Content.ReadAsByteArrayAsync(), await forUnknown.Content.ReadAsByteArrayAsync());
        Assert.Equal(Headers(forExisting), Headers(forUnknown));
    }

    private Task<HttpResponseMessage> SendAsync(string endpoint, string email, JsonElement caller) => endpoint switch
    {
        "register" => _client.RegisterAsync(email),
        "resend-confirmation" => _client.ResendConfirmationAsync(email),
        "forgot-password" => _client.ForgotPasswordAsync(email),
        _ => _client.ChangeEmailAsync(caller.GetProperty("accessToken").GetString()!, email),
    };

    private static string Headers(HttpResponseMessage response) => string.Join(";", response.Headers.Concat(response.Content.Headers)
        .Where(h => h.Key is not "Date").OrderBy(h => h.Key).Select(h => $"{h.Key}={string.Join(",", h.Value)}"));

    /// <summary>
    /// A confirmed account made the way a person makes one: register, follow the link in the email, log in. (Tests
    /// outside this folder confirm through SQL instead; here the confirmation email must not be left unread.)
    /// </summary>
    private async Task<(string Email, JsonElement Tokens)> NewAccountAsync()
    {
        var email = ApiClient.NewEmail("account");
        Assert.Equal(HttpStatusCode.Accepted, (await _client.RegisterAsync(email)).StatusCode);
        var token = await TokenFromNextMessageAsync(email, ConfirmPage);
        Assert.Equal(HttpStatusCode.NoContent, (await _client.ConfirmEmailAsync(token)).StatusCode);
        var login = await _client.LoginAsync(email);
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        return (email, await login.Content.ReadFromJsonAsync<JsonElement>());
    }

    private Task<string> TokenFromNextMessageAsync(string address, string page) => api.TokenFromNextMessageAsync(address, page);

    /// <summary>The newest message with a token to the address, once the ones before it were read.</summary>
    private async Task<MimeKit.MimeMessage> LastMessageWithTokenToAsync(string address)
    {
        while (true)
        {
            var message = await api.Mail.NextMessageToAsync(address);
            if (message.TextBody?.Contains("#token=", StringComparison.Ordinal) == true)
            {
                return message;
            }
        }
    }
}
