using System.Net;
using Contoso.Orders.Api.Auth;
using Contoso.Orders.Api.Data;
using Contoso.Orders.Api.Domain;
using Contoso.Orders.Api.Email;
using Contoso.Orders.Api.Tests.Infrastructure;
using Contoso.Orders.Api.Tests.Passkeys;
using Contoso.Orders.Api.Tests.TwoFactor;
using Contoso.Orders.Api.TwoFactor;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.Extensions.DependencyInjection;

namespace Contoso.Orders.Api.Tests.Users;

/// <summary>"Sessions and the account": <c>DELETE /users/me</c>, and security checklist point 36.</summary>
[Collection(ApiCollection.Name)]
public sealed class AccountDeletionTests(ApiFactory api)
{
    private readonly HttpClient _client = api.CreateClient();

    [Fact]
    public async Task A_wrong_password_deletes_nothing_and_names_the_field()
    {
        var (email, tokens) = await _client.RegisterAndLoginAsync();
        var token = tokens.GetProperty("accessToken").GetString()!;

        var response = await _client.DeleteAccountAsync(token, "not the password");

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("password", out _));
        Assert.Equal(HttpStatusCode.OK, (await _client.GetMeAsync(token)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _client.LoginAsync(email)).StatusCode);
    }

    [Fact]
    public async Task A_bearer_token_alone_cannot_delete_the_account()
    {
        var token = await _client.AccessTokenForNewUserAsync();

        var response = await _client.DeleteAccountAsync(token, password: null);

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("password", out _));
        Assert.Equal(HttpStatusCode.OK, (await _client.GetMeAsync(token)).StatusCode);
    }

    /// <summary>
    /// Every table of the model is looked at, so that a table added later cannot be forgotten: a table keyed by the
    /// user must hold none of its rows, and a table that is not must have a rule here saying how its rows name a user.
    /// </summary>
    [Fact]
    public async Task Deletion_removes_every_row_of_the_user_refuses_its_tokens_sends_the_notice_and_frees_the_address()
    {
        // Two-factor sign-in on, and a login waiting for its code, so that those tables hold rows of the user too.
        var user = await _client.NewUserWithTwoFactorAsync(DateTimeOffset.UtcNow);
        var (email, token) = (user.Email, user.AccessToken);
        var userId = Guid.Parse(await api.Database.ScalarAsync<string>($"SELECT id::text FROM users WHERE normalized_email = '{email}'"));
        Assert.Equal(HttpStatusCode.Unauthorized, (await _client.SecondStepAsync(await _client.StartLoginAsync(email), "2222-3333-4444")).StatusCode);
        // A passkey, and a second one being added.
        using var authenticator = PasskeyAccount.NewAuthenticator();
        await _client.RegisterPasskeyAsync(token, authenticator);
        await _client.RegistrationOptionsAsync(token);
        // Rows that belong to the account in other ways than its id: failed-login counts, and mail to the address.
        Assert.Equal(HttpStatusCode.Unauthorized, (await _client.LoginAsync(email, "a wrong password")).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await _client.ForgotPasswordAsync(email)).StatusCode);
        await api.Database.ExecuteAsync($"""
            INSERT INTO email_outbox (id, recipient, template, "values", created_at, status, attempts, next_attempt_at)
            VALUES (gen_random_uuid(), '{email}', 'password-changed', '{"{}"}', now(), 'Pending', 0, now() + interval '1 hour')
            """);
        var before = await RowsOfAsync(userId, email);
        foreach (var table in new[] { "users", "authenticators", "recovery_codes", "two_factor_challenges", "passkeys", "passkey_flows", "failed_logins", "email_outbox" })
        {
            Assert.Contains(before, row => row.StartsWith(table + ":", StringComparison.Ordinal));
        }

        var response = await _client.SendAsync(new HttpRequestMessage(HttpMethod.Delete, "/api/v1/users/me")
        {
            Content = System.Net.Http.Json.JsonContent.Create(new { password = ApiClient.Password, code = user.RecoveryCodes[0] }),
        }.WithBearer(token));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _client.GetMeAsync(token)).StatusCode);
        var notice = await NoticeAsync(email);
        Assert.Contains("deleted", notice.Subject ?? "", StringComparison.Ordinal);
        Assert.Empty(await RowsOfAsync(userId, email));
        Assert.Equal(HttpStatusCode.Unauthorized, (await _client.SignInWithPasskeyAsync(authenticator)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _client.LoginAsync(email)).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await _client.RegisterAsync(email)).StatusCode);
        Assert.Equal(1L, await api.Database.ScalarAsync<long>($"SELECT count(*) FROM users WHERE normalized_email = '{email}' AND id <> '{userId}'"));
    }

    /// <summary>What each table of the model still holds of the user, as "table: count" lines; the deletion notice aside.</summary>
    private async Task<List<string>> RowsOfAsync(Guid userId, string email)
    {
        await using var scope = api.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var found = new List<string>();
        foreach (var entity in db.Model.GetEntityTypes().Where(entity => !entity.IsOwned()))
        {
            var table = entity.GetTableName()!;
            var where = WhereOfUser(entity, userId, email)
                ?? throw new InvalidOperationException($"Table {table} is neither keyed by the user nor has a rule in {nameof(WhereOfUser)}: say how its rows belong to a user.");
            var count = await api.Database.ScalarAsync<long>($"SELECT count(*) FROM {table} WHERE {where}");
            if (count > 0)
            {
                found.Add($"{table}: {count}");
            }
        }

        return found;
    }

    private static string? WhereOfUser(IEntityType entity, Guid userId, string email)
    {
        if (entity.ClrType == typeof(User))
        {
            return $"id = '{userId}'";
        }

        if (entity.GetForeignKeys().FirstOrDefault(key => key.PrincipalEntityType.ClrType == typeof(User)) is { } toUser)
        {
            return $"{toUser.Properties.Single().GetColumnName()} = '{userId}'";
        }

        if (entity.ClrType == typeof(FailedLoginCount))
        {
            return $"email_hash IN (decode('{Convert.ToHexStringLower(LoginThrottle.Hash(email))}', 'hex'), decode('{Convert.ToHexStringLower(TwoFactorCodes.ThrottleKey(userId))}', 'hex'))";
        }

        // Data Protection's keys belong to the app, not to a user.
        if (entity.ClrType == typeof(DataProtectionKey))
        {
            return "false";
        }

        if (entity.ClrType == typeof(EmailOutboxMessage))
        {
            return $"(lower(recipient) = '{email}' OR \"values\" ->> 'UserId' = '{userId}') AND template <> 'account-deleted'";
        }

        return null;
    }

    private async Task<MimeKit.MimeMessage> NoticeAsync(string email)
    {
        await Patience.UntilAsync(
            () => Task.FromResult(api.Mail.MessagesTo(email).Any(message => (message.Subject ?? "").Contains("deleted", StringComparison.Ordinal))),
            "the account-deleted notice");
        return api.Mail.MessagesTo(email).First(message => (message.Subject ?? "").Contains("deleted", StringComparison.Ordinal));
    }
}
