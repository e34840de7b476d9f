using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Contoso.Orders.Api.Tests.Infrastructure;
using Contoso.Orders.Api.Tests.TwoFactor;
using Microsoft.IdentityModel.JsonWebTokens;
using static Contoso.Orders.Api.Tests.Passkeys.PasskeyAccount;

namespace Contoso.Orders.Api.Tests.Passkeys;

/// <summary>
/// README "Passkeys" and security checklist point 37, through HTTP against PostgreSQL, with a software authenticator
/// that signs as a real one does: registration needs the password; sign-in needs no email and no second step; every
/// answer that is not the authenticator's own, for this flow, this rpId, this origin, with the user verified and a
/// counter that moved on, is refused.
/// </summary>
[Collection(PasskeyCollection.Name)]
public sealed class PasskeyTests(ApiFactory api)
{
    private readonly HttpClient _client = api.CreateClient();

    [Fact]
    public async Task A_user_adds_a_passkey_with_the_password_then_signs_in_with_it_without_an_email_or_a_second_step()
    {
        var (email, tokens) = await _client.RegisterAndLoginAsync();
        var token = tokens.GetProperty("accessToken").GetString()!;
        using var authenticator = NewAuthenticator();

        var wrong = await _client.PostJsonAsync(RegistrationOptionsPath, new { password = "not the password" }, token);
        Assert.True((await wrong.AssertProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("password", out _));
        var response = await _client.PostJsonAsync(RegistrationOptionsPath, new { password = ApiClient.Password }, token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var options = body.GetProperty("options");
        // The WebAuthn JSON form, for parseCreationOptionsFromJSON: base64url challenge and user id, the rp, the user.
        Assert.Equal(PasskeyOrigins.RpId, options.GetProperty("rp").GetProperty("id").GetString());
        Assert.Equal(email, options.GetProperty("user").GetProperty("name").GetString());
        Assert.Equal("none", options.GetProperty("attestation").GetString());
        Assert.True(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.DecodeBytes(options.GetProperty("challenge").GetString()).Length >= 16);
        var userHandle = options.GetProperty("user").GetProperty("id").GetString()!;
        var userId = await UserIdAsync(email);
        Assert.DoesNotContain(userId.ToString("N"), Convert.ToHexStringLower(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.DecodeBytes(userHandle)), StringComparison.Ordinal);
        var lifetime = await api.Database.ScalarAsync<double>($"SELECT extract(epoch FROM expires_at - now())::float8 FROM passkey_flows WHERE id = '{body.GetProperty("flowId").GetString()}'");
        Assert.InRange(lifetime, 240, 300);

        var created = await _client.AddPasskeyAsync(token, body.GetProperty("flowId").GetString()!, authenticator.Create(options), "  Work laptop ");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var passkey = await created.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Work laptop", passkey.GetProperty("name").GetString());
        Assert.Equal(JsonValueKind.Null, passkey.GetProperty("lastUsedAt").ValueKind);
        Assert.EndsWith($"/api/v1/users/me/passkeys/{passkey.GetProperty("id").GetString()}", created.Headers.Location!.ToString(), StringComparison.Ordinal);
        await NoticeAsync(email, "A passkey was added");

        var signInOptions = await _client.SignInOptionsAsync();
        Assert.Equal(0, signInOptions.Options.GetProperty("allowCredentials").GetArrayLength());
        var signedIn = await _client.PasskeySignInAsync(signInOptions.FlowId, authenticator.Get(signInOptions.Options));

        Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode);
        Assert.Equal("no-store", signedIn.Headers.CacheControl?.ToString());
        var access = (await signedIn.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString()!;
        var jwt = new JsonWebToken(access);
        Assert.Equal(["hwk", "mfa"], jwt.GetPayloadValue<string[]>("amr"));
        Assert.Equal(userId.ToString(), jwt.Subject);
        var me = await _client.GetMeAsync(access);
        Assert.Equal(email, (await me.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("email").GetString());

        var listed = await _client.SendAsync(new HttpRequestMessage(HttpMethod.Get, PasskeysPath).WithBearer(token));
        var only = Assert.Single((await listed.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray());
        Assert.Equal(passkey.GetProperty("id").GetString(), only.GetProperty("id").GetString());
        Assert.NotEqual(JsonValueKind.Null, only.GetProperty("lastUsedAt").ValueKind);
        Assert.Equal(1L, await api.Database.ScalarAsync<long>($"SELECT signature_counter FROM passkeys WHERE user_id = '{userId}'"));
        // A second registration excludes the passkey the user has, so that the authenticator does not make it twice.
        var again = await _client.RegistrationOptionsAsync(token);
        Assert.Equal(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(authenticator.CredentialId),
            Assert.Single(again.Options.GetProperty("excludeCredentials").EnumerateArray()).GetProperty("id").GetString());
        Assert.Equal(userHandle, again.Options.GetProperty("user").GetProperty("id").GetString());
    }

    [Fact]
    public async Task A_flow_is_used_once_within_five_minutes_by_the_user_who_began_it_and_for_its_own_purpose()
    {
        var token = await _client.AccessTokenForNewUserAsync();
        using var authenticator = NewAuthenticator();
        var options = await _client.RegistrationOptionsAsync(token);
        var answer = authenticator.Create(options.Options);

        // Another user cannot finish it, a sign-in cannot use it, and neither attempt spends it.
        var other = await _client.AccessTokenForNewUserAsync();
        AssertRefusedField(await _client.AddPasskeyAsync(other, options.FlowId, answer), "flowId");
        await (await _client.PasskeySignInAsync(options.FlowId, new JsonObject
        {
            ["id"] = answer["id"]!.DeepClone(), ["rawId"] = answer["rawId"]!.DeepClone(), ["type"] = "public-key",
            ["response"] = new JsonObject { ["clientDataJSON"] = answer["response"]!["clientDataJSON"]!.DeepClone(), ["authenticatorData"] = "AAAA", ["signature"] = "AAAA", ["userHandle"] = "AAAA" },
        })).AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.Created, (await _client.AddPasskeyAsync(token, options.FlowId, answer)).StatusCode);
        // Spent: the same answer again is refused, though it is valid in every other way.
        AssertRefusedField(await _client.AddPasskeyAsync(token, options.FlowId, answer), "flowId");

        var signIn = await _client.SignInOptionsAsync();
        var assertion = authenticator.Get(signIn.Options);
        Assert.Equal(HttpStatusCode.OK, (await _client.PasskeySignInAsync(signIn.FlowId, assertion)).StatusCode);
        await (await _client.PasskeySignInAsync(signIn.FlowId, assertion)).AssertProblemAsync(HttpStatusCode.Unauthorized);

        // Expired, a flow is refused unspent or not.
        var late = await _client.SignInOptionsAsync();
        await api.Database.ExecuteAsync($"UPDATE passkey_flows SET expires_at = now() - interval '1 second' WHERE id = '{late.FlowId}'");
        await (await _client.PasskeySignInAsync(late.FlowId, authenticator.Get(late.Options))).AssertProblemAsync(HttpStatusCode.Unauthorized);
        var lateRegistration = await _client.RegistrationOptionsAsync(token);
        await api.Database.ExecuteAsync($"UPDATE passkey_flows SET expires_at = now() - interval '1 second' WHERE id = '{lateRegistration.FlowId}'");
        using var second = NewAuthenticator();
        AssertRefusedField(await _client.AddPasskeyAsync(token, lateRegistration.FlowId, second.Create(lateRegistration.Options)), "flowId");
    }

    public static TheoryData<string> Tamperings() => new(TamperingsByName.Keys);

    /// <summary>Each way an answer is wrong, and what the library says of it (so that a refusal for another reason fails the test).</summary>
    private static readonly Dictionary<string, (Tampering Tampering, string Reason)> TamperingsByName = new()
    {
        ["another origin"] = (new Tampering { Origin = "https://evil.example.net" }, "origin"),
        ["a sibling subdomain"] = (new Tampering { Origin = "https://other.example.com" }, "origin"),
        ["http on the right host"] = (new Tampering { Origin = "http://app.example.com" }, "origin"),
        ["another rpId"] = (new Tampering { RpId = "evil.example.net" }, "RPID hash does not match"),
        ["user verification not done"] = (new Tampering { UserVerified = false }, "User Verified flag not set"),
    };

    [Theory]
    [MemberData(nameof(Tamperings))]
    public async Task Registration_refuses_an_answer_for_another_page_or_relying_party_or_without_user_verification(string tampering)
    {
        var (email, tokens) = await _client.RegisterAndLoginAsync();
        var token = tokens.GetProperty("accessToken").GetString()!;
        using var authenticator = NewAuthenticator();
        var options = await _client.RegistrationOptionsAsync(token);
        var (wrong, reason) = TamperingsByName[tampering];

        AssertRefusedField(await _client.AddPasskeyAsync(token, options.FlowId, authenticator.Create(options.Options, wrong)), "credential");
        await RefusedForAsync($"A passkey for user {await UserIdAsync(email)} was refused: ", reason);

        var listed = await _client.SendAsync(new HttpRequestMessage(HttpMethod.Get, PasskeysPath).WithBearer(token));
        Assert.Equal(0, (await listed.Content.ReadFromJsonAsync<JsonElement>()).GetArrayLength());
    }

    [Theory]
    [MemberData(nameof(Tamperings))]
    public async Task Sign_in_refuses_an_answer_for_another_page_or_relying_party_or_without_user_verification(string tampering)
    {
        using var authenticator = NewAuthenticator();
        var (email, tokens) = await _client.RegisterAndLoginAsync();
        await _client.RegisterPasskeyAsync(tokens.GetProperty("accessToken").GetString()!, authenticator);
        var (wrong, reason) = TamperingsByName[tampering];

        await (await _client.SignInWithPasskeyAsync(authenticator, wrong)).AssertProblemAsync(HttpStatusCode.Unauthorized);
        await RefusedForAsync($"A passkey sign-in for user {await UserIdAsync(email)} was refused: ", reason);

        Assert.Equal(HttpStatusCode.OK, (await _client.SignInWithPasskeyAsync(authenticator)).StatusCode);
    }

    [Fact]
    public async Task Sign_in_refuses_a_tampered_signature_another_users_handle_and_an_unknown_passkey_with_one_answer()
    {
        using var authenticator = NewAuthenticator();
        using var others = NewAuthenticator();
        var (email, tokens) = await _client.RegisterAndLoginAsync();
        await _client.RegisterPasskeyAsync(tokens.GetProperty("accessToken").GetString()!, authenticator);
        await _client.RegisterPasskeyAsync(await _client.AccessTokenForNewUserAsync(), others);
        using var unknown = NewAuthenticator();
        await _client.RegistrationOptionsAsync(await _client.AccessTokenForNewUserAsync());

        var answers = new List<string>
        {
            await ProblemTextAsync(await _client.SignInWithPasskeyAsync(authenticator, new Tampering { BreakSignature = true })),
            // The passkey is the user's, the handle another user's: the answer claims an account the key does not open.
            await ProblemTextAsync(await _client.SignInWithPasskeyAsync(authenticator, new Tampering { UserHandle = others.UserHandle })),
        };
        // A credential no account holds (its authenticator was never registered): it has no handle of its own either.
        var options = await _client.SignInOptionsAsync();
        var stranger = NewAuthenticator();
        stranger.Create(RegistrationLike(options.Options));
        answers.Add(await ProblemTextAsync(await _client.PasskeySignInAsync(options.FlowId, stranger.Get(options.Options))));

        Assert.Single(answers.Distinct());
        var refused = $"A passkey sign-in for user {await UserIdAsync(email)} was refused: ";
        await RefusedForAsync(refused, "Signature does not match");
        await RefusedForAsync(refused, "User is not owner");
        Assert.Equal(HttpStatusCode.OK, (await _client.SignInWithPasskeyAsync(authenticator)).StatusCode);
    }

    [Fact]
    public async Task A_counter_that_goes_backwards_is_refused_logged_and_told_to_the_owner_and_a_synced_passkeys_zero_is_not()
    {
        var (email, tokens) = await _client.RegisterAndLoginAsync();
        using var authenticator = NewAuthenticator();
        await _client.RegisterPasskeyAsync(tokens.GetProperty("accessToken").GetString()!, authenticator);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await _client.SignInWithPasskeyAsync(authenticator)).StatusCode);
        }

        // A copy of the key, still at the counter of the first sign-in.
        await (await _client.SignInWithPasskeyAsync(authenticator, new Tampering { Counter = 1 })).AssertProblemAsync(HttpStatusCode.Unauthorized);
        await (await _client.SignInWithPasskeyAsync(authenticator, new Tampering { Counter = authenticator.Counter - 1 })).AssertProblemAsync(HttpStatusCode.Unauthorized);

        var userId = await UserIdAsync(email);
        Assert.Equal(3L, await api.Database.ScalarAsync<long>($"SELECT signature_counter FROM passkeys WHERE user_id = '{userId}'"));
        await NoticeAsync(email, "A sign-in with your passkey was refused");
        await Patience.UntilAsync(() => api.Logs.Text.Contains($"authn_login_fail: login refused for user {userId} (PasskeyCounterWentBackwards)", StringComparison.Ordinal),
            "the security event of the refused counter");
        Assert.Equal(HttpStatusCode.OK, (await _client.SignInWithPasskeyAsync(authenticator)).StatusCode);

        using var synced = NewAuthenticator(synced: true);
        await _client.RegisterPasskeyAsync(await _client.AccessTokenForNewUserAsync(), synced);
        Assert.Equal(HttpStatusCode.OK, (await _client.SignInWithPasskeyAsync(synced)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _client.SignInWithPasskeyAsync(synced)).StatusCode);
    }

    [Fact]
    public async Task A_credential_is_registered_once_for_one_account()
    {
        using var authenticator = NewAuthenticator();
        var token = await _client.AccessTokenForNewUserAsync();
        var options = await _client.RegistrationOptionsAsync(token);
        var answer = authenticator.Create(options.Options);
        Assert.Equal(HttpStatusCode.Created, (await _client.AddPasskeyAsync(token, options.FlowId, answer)).StatusCode);

        // The same key offered again, by its owner and by another account, each with a flow of its own.
        foreach (var user in new[] { token, await _client.AccessTokenForNewUserAsync() })
        {
            var next = await _client.RegistrationOptionsAsync(user);
            var problem = AssertRefusedField(await _client.AddPasskeyAsync(user, next.FlowId, authenticator.Create(next.Options)), "credential");
            Assert.Contains("registered already", problem, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_passkey_satisfies_two_factor_sign_in_and_refuses_a_deactivated_or_unconfirmed_account()
    {
        var user = await _client.NewUserWithTwoFactorAsync(DateTimeOffset.UtcNow);
        using var authenticator = NewAuthenticator();
        await _client.RegisterPasskeyAsync(user.AccessToken, authenticator);
        Assert.Equal(HttpStatusCode.OK, (await _client.SignInWithPasskeyAsync(authenticator)).StatusCode);

        var userId = await UserIdAsync(user.Email);
        await api.Database.ExecuteAsync($"UPDATE users SET is_active = false WHERE id = '{userId}'");
        var deactivated = await ProblemTextAsync(await _client.SignInWithPasskeyAsync(authenticator));
        await api.Database.ExecuteAsync($"UPDATE users SET is_active = true, email_confirmed = false WHERE id = '{userId}'");
        var unconfirmed = await ProblemTextAsync(await _client.SignInWithPasskeyAsync(authenticator));
        await api.Database.ExecuteAsync($"UPDATE users SET email_confirmed = true WHERE id = '{userId}'");

        Assert.Equal(deactivated, unconfirmed);
        Assert.Equal(HttpStatusCode.OK, (await _client.SignInWithPasskeyAsync(authenticator)).StatusCode);
    }

    [Fact]
    public async Task Removing_a_passkey_needs_the_password_and_it_signs_in_no_more()
    {
        var (email, tokens) = await _client.RegisterAndLoginAsync();
        var token = tokens.GetProperty("accessToken").GetString()!;
        using var authenticator = NewAuthenticator();
        var id = (await _client.RegisterPasskeyAsync(token, authenticator)).GetProperty("id").GetString()!;

        AssertRefusedField(await _client.RemovePasskeyAsync(token, id, "not the password"), "password");
        await (await _client.RemovePasskeyAsync(token, Guid.NewGuid().ToString())).AssertProblemAsync(HttpStatusCode.NotFound);
        // Another user's passkey is not found either.
        await (await _client.RemovePasskeyAsync(await _client.AccessTokenForNewUserAsync(), id)).AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.OK, (await _client.SignInWithPasskeyAsync(authenticator)).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await _client.RemovePasskeyAsync(token, id)).StatusCode);

        await (await _client.SignInWithPasskeyAsync(authenticator)).AssertProblemAsync(HttpStatusCode.Unauthorized);
        await NoticeAsync(email, "A passkey was removed");
        await (await _client.RemovePasskeyAsync(token, id)).AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Wrong_passwords_given_to_the_passkey_endpoints_throttle_the_account()
    {
        var limited = api.WithSettings(new Dictionary<string, string?> { ["Auth:MaxFailedLoginsPerEmail"] = "3" });
        using var client = limited.CreateClient();
        var token = await client.AccessTokenForNewUserAsync();
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var path = attempt % 2 == 0 ? RegistrationOptionsPath : null;
            var response = path is null
                ? await client.RemovePasskeyAsync(token, Guid.NewGuid().ToString(), "not the password")
                : await client.PostJsonAsync(path, new { password = "not the password" }, token);
            AssertRefusedField(response, "password");
        }

        var refused = await client.PostJsonAsync(RegistrationOptionsPath, new { password = ApiClient.Password }, token);
        await refused.AssertProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.InRange(refused.Headers.RetryAfter!.Delta!.Value, TimeSpan.FromMinutes(14), TimeSpan.FromMinutes(15));
    }

    [Fact]
    public async Task The_openapi_document_describes_each_passkey_endpoint_with_its_answers()
    {
        var document = await _client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var paths = document.GetProperty("paths");
        string Statuses(string path, string method) => string.Join(' ', paths.GetProperty(path).GetProperty(method).GetProperty("responses").EnumerateObject().Select(status => status.Name).Order());

        Assert.Equal("200 429", Statuses(SignInOptionsPath, "post"));
        Assert.Equal("200 400 401 429", Statuses(SignInPath, "post"));
        Assert.Equal("200 401", Statuses(PasskeysPath, "get"));
        Assert.Equal("200 400 401 429", Statuses(RegistrationOptionsPath, "post"));
        Assert.Equal("201 400 401", Statuses(PasskeysPath, "post"));
        Assert.Equal("204 400 401 404 429", Statuses($"{PasskeysPath}/{{id}}", "delete"));
        var schemas = document.GetProperty("components").GetProperty("schemas");
        Assert.True(schemas.GetProperty("RegistrationResponseJson").GetProperty("properties").TryGetProperty("response", out _));
        Assert.True(schemas.GetProperty("AuthenticationResponseJson").GetProperty("properties").TryGetProperty("response", out _));
    }

    /// <summary>Options a software authenticator can register against, made from sign-in options (the same rpId and challenge).</summary>
    private static JsonElement RegistrationLike(JsonElement signInOptions) => JsonSerializer.SerializeToElement(new
    {
        rp = new { id = signInOptions.GetProperty("rpId").GetString(), name = "x" },
        user = new { id = Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(Guid.NewGuid().ToByteArray()), name = "x", displayName = "x" },
        challenge = signInOptions.GetProperty("challenge").GetString(),
        pubKeyCredParams = new[] { new { type = "public-key", alg = -7 } },
        authenticatorSelection = new { residentKey = "required", userVerification = "required" },
    });

    private static string AssertRefusedField(HttpResponseMessage response, string field)
    {
        var problem = response.AssertProblemAsync(HttpStatusCode.BadRequest).GetAwaiter().GetResult();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out var messages), $"The problem should name {field}: {problem}");
        return messages[0].GetString()!;
    }

    private static async Task<string> ProblemTextAsync(HttpResponseMessage response)
    {
        await response.AssertProblemAsync(HttpStatusCode.Unauthorized);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>The log says the request was refused for <paramref name="reason"/> (log lines are written as the request ends).</summary>
    private Task RefusedForAsync(string prefix, string reason) => Patience.UntilAsync(
        () => api.Logs.Text.Split('\n').Any(line => line.Contains(prefix, StringComparison.Ordinal) && line.Contains(reason, StringComparison.OrdinalIgnoreCase)),
        $"a log line \"{prefix}...{reason}...\"");

    private async Task<Guid> UserIdAsync(string email) =>
        Guid.Parse(await api.Database.ScalarAsync<string>($"SELECT id::text FROM users WHERE normalized_email = '{email.ToLowerInvariant()}'"));

    private Task NoticeAsync(string email, string subject) => Patience.UntilAsync(
        () => api.Mail.MessagesTo(email).Any(message => (message.Subject ?? "").Contains(subject, StringComparison.Ordinal)),
        $"the notice \"{subject}\"");
}
