using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Contoso.Orders.Api.Tests.Infrastructure;
using Contoso.Orders.Api.Tests.TwoFactor;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.IdentityModel.JsonWebTokens;
using static Contoso.Orders.Api.Tests.ExternalLogins.ExternalLoginAccount;
using static Contoso.Orders.Api.Tests.ExternalLogins.ExternalLoginsFeature;

namespace Contoso.Orders.Api.Tests.ExternalLogins;

/// <summary>The external sign-in tests, on an app and a database of their own, so that they run beside the other collections.</summary>
[CollectionDefinition(Name)]
public sealed class ExternalLoginCollection : ICollectionFixture<ApiFactory>, ICollectionFixture<ExternalLoginCollection.Finished>
{
    public const string Name = "external-logins";

    public sealed class Finished() : FinishedMarker(Name);
}

/// <summary>
/// README "External sign-in" and security checklist point 38, through HTTP against PostgreSQL and a real OpenID provider
/// over the network: the authorization code flow with PKCE, state and nonce; an ID token is taken only when it is the
/// provider's, for this client, this flow, and fresh; an account is made or linked only on a verified email, and linked
/// to an existing account by email only when the provider is trusted with emails; the browser goes back only to an
/// allowed front-end URL.
/// </summary>
[Collection(ExternalLoginCollection.Name)]
public sealed class ExternalLoginTests(ApiFactory api) : IDisposable
{
    /// <summary>The subjects of the owner's notices.</summary>
    private const string LinkedNotice = "can now sign in to your account";
    private const string UnlinkedNotice = "was unlinked from your account";

    private readonly ExternalLoginBrowser _browser = ExternalLoginBrowser.For(api);

    private HttpClient Client => _browser.Api;

    public void Dispose() => _browser.Dispose();

    [Fact]
    public async Task The_providers_are_listed_by_name_with_their_display_names()
    {
        var response = await Client.GetAsync(ProvidersPath);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var providers = (await response.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray()
            .Select(provider => $"{provider.GetProperty("name").GetString()}: {provider.GetProperty("displayName").GetString()}");
        Assert.Equal([$"{Untrusted}: {Untrusted}", $"{SatisfiesTwoFactor}: {SatisfiesTwoFactor}", $"{TrustedWithEmail}: Trusted IdP"], providers);
    }

    [Fact]
    public async Task The_start_sends_the_browser_to_the_provider_with_pkce_state_and_nonce_of_a_flow_kept_hashed()
    {
        var authorization = await _browser.BeginAsync(Untrusted);

        var query = QueryHelpers.ParseQuery(authorization.Query);
        Assert.Equal("code", query["response_type"].ToString());
        Assert.Equal(ClientId(Untrusted), query["client_id"].ToString());
        Assert.Equal($"{ApiFactory.Issuer}{CallbackPath(Untrusted)}", query["redirect_uri"].ToString());
        Assert.Equal(["email", "openid", "profile"], query["scope"].ToString().Split(' ').Order());
        Assert.Equal("S256", query["code_challenge_method"].ToString());
        // 32 bytes of SHA-256, base64url: a verifier is never sent in its place.
        Assert.Equal(43, query["code_challenge"].ToString().Length);
        var state = query["state"].ToString();
        Assert.True(state.Length >= 22, $"The state is {state.Length} characters long.");
        Assert.True(query["nonce"].ToString().Length >= 22, "The nonce is at least 128 bits.");
        Assert.NotEqual(state, query["nonce"].ToString());
        // Another flow, other values.
        var other = QueryHelpers.ParseQuery((await _browser.BeginAsync(Untrusted)).Query);
        Assert.NotEqual(state, other["state"].ToString());
        Assert.NotEqual(query["nonce"].ToString(), other["nonce"].ToString());
        Assert.NotEqual(query["code_challenge"].ToString(), other["code_challenge"].ToString());
        // Stored as a hash: the database holds no state in the clear.
        Assert.Equal(0L, await api.Database.ScalarAsync<long>(
            $"SELECT count(*) FROM external_login_flows f WHERE strpos(row_to_json(f)::text, '{state}') > 0"));
    }

    [Fact]
    public async Task A_first_sign_in_makes_a_confirmed_account_without_a_password_and_the_next_one_signs_in_to_it()
    {
        var identity = ProviderIdentity.New();

        var authorization = await _browser.BeginAsync(Untrusted);
        var callback = await _browser.AuthorizeAsync(authorization, identity);
        var fragment = ExternalLoginBrowser.Fragment(await _browser.CallbackAsync(callback));
        var code = Assert.Single(fragment, pair => pair.Key == "code").Value;
        Assert.Equal("issued", _browser.Provider.TokenOutcome(ExternalLoginBrowser.QueryValue(callback, "code")));
        var exchanged = await Client.ExchangeAsync(code);

        Assert.Equal(HttpStatusCode.OK, exchanged.StatusCode);
        Assert.Equal("no-store", exchanged.Headers.CacheControl?.ToString());
        var access = (await exchanged.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString()!;
        var jwt = new JsonWebToken(access);
        Assert.Equal(["fed"], jwt.GetPayloadValue<string[]>("amr"));
        var userId = await UserIdAsync(identity.Email!);
        Assert.Equal(userId.ToString(), jwt.Subject);
        var me = await (await Client.GetMeAsync(access)).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(identity.Email, me.GetProperty("email").GetString());
        Assert.True(me.GetProperty("emailConfirmed").GetBoolean());
        var logins = await (await Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, LoginsPath).WithBearer(access))).Content.ReadFromJsonAsync<JsonElement>();
        var login = Assert.Single(logins.EnumerateArray());
        Assert.Equal(Untrusted, login.GetProperty("provider").GetString());
        Assert.InRange(login.GetProperty("createdAt").GetDateTimeOffset(), DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1));
        // No password: none signs in, not even an empty one.
        Assert.Equal(HttpStatusCode.Unauthorized, (await Client.LoginAsync(identity.Email!, ApiClient.Password)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await Client.LoginAsync(identity.Email!, "")).StatusCode);
        // The code is spent.
        await (await Client.ExchangeAsync(code)).AssertProblemAsync(HttpStatusCode.Unauthorized);

        // The provider's sub is what is looked up: a changed email at the provider still finds the account.
        var returning = await _browser.SignInForTokensAsync(Untrusted, identity with { Email = ApiClient.NewEmail("renamed") });

        Assert.Equal(userId.ToString(), new JsonWebToken(returning.GetProperty("accessToken").GetString()).Subject);
        Assert.Equal(1L, await api.Database.ScalarAsync<long>($"SELECT count(*) FROM external_logins WHERE user_id = '{userId}'"));
        Assert.Equal(1L, await api.Database.ScalarAsync<long>($"SELECT count(*) FROM users WHERE normalized_email = '{identity.Email!.ToLowerInvariant()}'"));
    }

    [Theory]
    [InlineData("a boolean", true)]
    [InlineData("the string \"true\"", true)]
    [InlineData("false", false)]
    [InlineData("the string \"false\"", false)]
    [InlineData("missing", false)]
    [InlineData("no email at all", false)]
    public async Task A_first_sign_in_makes_an_account_only_on_a_verified_email(string claim, bool accepted)
    {
        var identity = ProviderIdentity.New() with
        {
            EmailVerified = claim switch
            {
                "a boolean" => true,
                "the string \"true\"" => "true",
                "false" => false,
                "the string \"false\"" => "false",
                _ => null,
            },
        };
        if (claim == "no email at all")
        {
            identity = identity with { Email = null, EmailVerified = true };
        }

        var fragment = await _browser.SignInAsync(Untrusted, identity);

        if (accepted)
        {
            Assert.True(fragment.ContainsKey("code"), string.Join('&', fragment));
            Assert.Equal(1L, await UsersWithAsync(identity.Email!));
        }
        else
        {
            Assert.Equal(new Dictionary<string, string> { ["error"] = "email_not_verified" }, fragment);
            Assert.Equal(0L, await LinksOfSubjectAsync(identity.Subject));
            if (identity.Email is not null)
            {
                Assert.Equal(0L, await UsersWithAsync(identity.Email));
            }
        }
    }

    public static TheoryData<IdTokenFlaw> Flaws() => new(Enum.GetValues<IdTokenFlaw>().Where(flaw => flaw != IdTokenFlaw.None));

    [Theory]
    [MemberData(nameof(Flaws))]
    public async Task An_id_token_that_is_not_the_providers_for_this_client_and_flow_and_fresh_is_refused(IdTokenFlaw flaw)
    {
        var identity = ProviderIdentity.New() with { Flaw = flaw };

        var callback = await _browser.AuthorizeAsync(await _browser.BeginAsync(Untrusted), identity);
        var fragment = ExternalLoginBrowser.Fragment(await _browser.CallbackAsync(callback));

        // The provider did answer the code: the refusal is the ID token's.
        Assert.Equal("issued", _browser.Provider.TokenOutcome(ExternalLoginBrowser.QueryValue(callback, "code")));
        Assert.Equal(new Dictionary<string, string> { ["error"] = "invalid_response" }, fragment);
        Assert.Equal(0L, await UsersWithAsync(identity.Email!));
        Assert.Equal(0L, await LinksOfSubjectAsync(identity.Subject));
        // The flow is spent all the same.
        await (await _browser.CallbackAsync(callback)).AssertProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_code_redeemed_with_another_flows_pkce_verifier_is_refused_by_the_provider_and_signs_in_no_one()
    {
        var first = ProviderIdentity.New();
        var second = ProviderIdentity.New();
        var firstCallback = await _browser.AuthorizeAsync(await _browser.BeginAsync(Untrusted), first);
        var secondCallback = await _browser.AuthorizeAsync(await _browser.BeginAsync(Untrusted), second);
        var secondCode = ExternalLoginBrowser.QueryValue(secondCallback, "code");

        // The first flow's state with the second flow's code: the API sends the first flow's verifier.
        var swapped = QueryHelpers.AddQueryString(CallbackPath(Untrusted), new Dictionary<string, string?>
        {
            ["code"] = secondCode,
            ["state"] = ExternalLoginBrowser.QueryValue(firstCallback, "state"),
        });
        var fragment = ExternalLoginBrowser.Fragment(await Client.GetAsync(swapped));

        Assert.Equal("code_verifier does not match code_challenge", _browser.Provider.TokenOutcome(secondCode));
        Assert.Equal(new Dictionary<string, string> { ["error"] = "invalid_response" }, fragment);
        // The second flow's own callback finds its code spent at the provider.
        Assert.Equal(new Dictionary<string, string> { ["error"] = "invalid_response" }, ExternalLoginBrowser.Fragment(await _browser.CallbackAsync(secondCallback)));
        Assert.Equal(0L, await UsersWithAsync(first.Email!));
        Assert.Equal(0L, await UsersWithAsync(second.Email!));
    }

    [Fact]
    public async Task A_flow_answers_its_first_callback_only_of_its_own_provider_within_ten_minutes()
    {
        var identity = ProviderIdentity.New();
        var callback = await _browser.AuthorizeAsync(await _browser.BeginAsync(Untrusted), identity);
        var state = ExternalLoginBrowser.QueryValue(callback, "state");
        var code = ExternalLoginBrowser.QueryValue(callback, "code");

        // Another provider's callback with this state: no flow of that provider, nothing spent.
        var elsewhere = QueryHelpers.AddQueryString(CallbackPath(TrustedWithEmail), new Dictionary<string, string?> { ["code"] = code, ["state"] = state });
        await (await Client.GetAsync(elsewhere)).AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Null(_browser.Provider.TokenOutcome(code));

        Assert.True(ExternalLoginBrowser.Fragment(await _browser.CallbackAsync(callback)).ContainsKey("code"));
        var replayed = await _browser.CallbackAsync(callback);
        await replayed.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Null(replayed.Headers.Location);

        // Expired: the rows of this collection's database are this test's alone while it runs.
        var late = await _browser.AuthorizeAsync(await _browser.BeginAsync(Untrusted), ProviderIdentity.New());
        await api.Database.ExecuteAsync("UPDATE external_login_flows SET expires_at = now() - interval '1 second'");
        await (await _browser.CallbackAsync(late)).AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Null(_browser.Provider.TokenOutcome(ExternalLoginBrowser.QueryValue(late, "code")));
    }

    [Fact]
    public async Task Concurrent_callbacks_of_one_flow_and_exchanges_of_one_code_succeed_once()
    {
        var callback = await _browser.AuthorizeAsync(await _browser.BeginAsync(Untrusted), ProviderIdentity.New());

        var callbacks = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => _browser.CallbackAsync(callback)));

        Assert.Equal(1, callbacks.Count(response => response.StatusCode == HttpStatusCode.Found));
        Assert.Equal(3, callbacks.Count(response => response.StatusCode == HttpStatusCode.BadRequest));
        var code = ExternalLoginBrowser.Fragment(callbacks.Single(response => response.StatusCode == HttpStatusCode.Found))["code"];
        var exchanges = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Client.ExchangeAsync(code)));
        Assert.Equal(1, exchanges.Count(response => response.StatusCode == HttpStatusCode.OK));
        Assert.Equal(3, exchanges.Count(response => response.StatusCode == HttpStatusCode.Unauthorized));
    }

    [Fact]
    public async Task Concurrent_first_sign_ins_of_one_identity_make_one_account()
    {
        var identity = ProviderIdentity.New();
        var callbacks = new List<Uri>();
        for (var flow = 0; flow < 4; flow++)
        {
            callbacks.Add(await _browser.AuthorizeAsync(await _browser.BeginAsync(Untrusted), identity));
        }

        var fragments = (await Task.WhenAll(callbacks.Select(_browser.CallbackAsync))).Select(response => ExternalLoginBrowser.Fragment(response)).ToList();

        // A flow that lost the race is refused (it saw the account the winner made, or hit its link), never a second account.
        Assert.All(fragments, fragment => Assert.True(
            fragment.ContainsKey("code") || fragment.GetValueOrDefault("error") is "already_linked" or "link_required", string.Join('&', fragment)));
        Assert.Contains(fragments, fragment => fragment.ContainsKey("code"));
        Assert.Equal(1L, await UsersWithAsync(identity.Email!));
        Assert.Equal(1L, await LinksOfSubjectAsync(identity.Subject));
        var userId = (await UserIdAsync(identity.Email!)).ToString();
        foreach (var fragment in fragments.Where(fragment => fragment.ContainsKey("code")))
        {
            Assert.Equal(userId, new JsonWebToken((await Client.ExchangeForTokensAsync(fragment["code"])).GetProperty("accessToken").GetString()).Subject);
        }
    }

    [Theory]
    [InlineData("no address", "not-an-address")]
    [InlineData("a subject of 256 characters", null)]
    public async Task A_first_sign_in_with_an_identity_the_api_cannot_keep_makes_nothing(string what, string? email)
    {
        var identity = email is null
            ? ProviderIdentity.New() with { Subject = new string('s', 256) }
            : ProviderIdentity.New() with { Email = email };

        var fragment = await _browser.SignInAsync(Untrusted, identity);

        Assert.True(fragment.ContainsKey("error") && fragment.Count == 1, $"{what}: #{string.Join('&', fragment)}");
        Assert.Equal(0L, await UsersWithAsync(identity.Email!));
    }

    [Fact]
    public async Task A_one_time_code_is_refused_used_expired_or_unknown_with_one_answer()
    {
        var used = await _browser.SignInForCodeAsync(Untrusted, ProviderIdentity.New());
        Assert.Equal(HttpStatusCode.OK, (await Client.ExchangeAsync(used)).StatusCode);
        var expired = await _browser.SignInForCodeAsync(Untrusted, ProviderIdentity.New());
        await api.Database.ExecuteAsync("UPDATE external_login_codes SET expires_at = now() - interval '1 second'");
        var fresh = await _browser.SignInForCodeAsync(Untrusted, ProviderIdentity.New());
        var lifetime = await api.Database.ScalarAsync<double>("SELECT max(extract(epoch FROM expires_at - now()))::float8 FROM external_login_codes");
        Assert.InRange(lifetime, 30, 61);

        var answers = new List<string>();
        foreach (var code in new[] { used, expired, "bm8tc3VjaC1jb2RlLWF0LWFsbC1qdXN0LXNoYXBlZA" })
        {
            var response = await Client.ExchangeAsync(code);
            await response.AssertProblemAsync(HttpStatusCode.Unauthorized);
            answers.Add(await response.Content.ReadAsStringAsync());
        }

        Assert.Single(answers.Distinct());
        Assert.Equal(HttpStatusCode.OK, (await Client.ExchangeAsync(fresh)).StatusCode);
        // Stored hashed: no code in the clear in the table.
        Assert.Equal(0L, await api.Database.ScalarAsync<long>(
            $"SELECT count(*) FROM external_login_codes c WHERE strpos(row_to_json(c)::text, '{fresh}') > 0 OR strpos(row_to_json(c)::text, '{expired}') > 0"));
    }

    public static TheoryData<string> ForeignReturnUrls() => new(
        "https://evil.test/signed-in",
        "https://app.example.com.evil.test/signed-in",
        "https://evil.test/https://app.example.com/signed-in",
        "https://app.example.com/signed-inx",
        "https://app.example.com/signed",
        "https://app.example.com/",
        "https://app.example.com@evil.test/signed-in",
        "https://user@app.example.com/signed-in",
        "https://evil.test\\@app.example.com/signed-in",
        "https://app.example.com/signed-in/../../evil",
        "https://app.example.com/signed-in/%2e%2e/evil",
        "https://app.example.com/signed-in\\..\\..\\evil",
        "http://app.example.com/signed-in",
        "https://app.example.com:8443/signed-in",
        "/signed-in",
        "signed-in",
        "//evil.test/signed-in",
        "https://app.example.com/signed-in#fragment",
        "https://app.example.com/signed-in#",
        "javascript:alert(1)//https://app.example.com/signed-in",
        "data:text/html,https://app.example.com/signed-in",
        "https://",
        "");

    [Theory]
    [MemberData(nameof(ForeignReturnUrls))]
    public async Task A_return_url_not_under_an_allowed_one_is_refused_at_the_start_without_a_redirect(string returnUrl)
    {
        var response = await _browser.StartAsync(Untrusted, returnUrl);

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("returnUrl", out _), problem.ToString());
        Assert.Null(response.Headers.Location);
    }

    [Theory]
    [InlineData("https://app.example.com/signed-in")]
    [InlineData("https://app.example.com/signed-in/")]
    [InlineData("https://app.example.com/signed-in/deeper/page")]
    [InlineData("https://app.example.com/signed-in?next=%2Forders")]
    public async Task A_return_url_at_or_below_an_allowed_one_is_where_the_browser_comes_back(string returnUrl)
    {
        var identity = ProviderIdentity.New();

        var fragment = await _browser.SignInAsync(Untrusted, identity, returnUrl);

        Assert.True(fragment.ContainsKey("code"), string.Join('&', fragment));
    }

    [Fact]
    public async Task The_start_of_the_link_checks_the_return_url_the_provider_and_the_password()
    {
        var token = await Client.AccessTokenForNewUserAsync();

        await AssertRefusedFieldAsync(await Client.StartLinkAsync(token, Untrusted, returnUrl: "https://evil.test/signed-in"), "returnUrl");
        await AssertRefusedFieldAsync(await Client.StartLinkAsync(token, "no-such-provider"), "provider");
        await AssertRefusedFieldAsync(await Client.StartLinkAsync(token, Untrusted, "not the password"), "password");
        await AssertRefusedFieldAsync(await Client.StartLinkAsync(token, Untrusted, password: null), "password");
        await (await Client.SendAsync(new HttpRequestMessage(HttpMethod.Post, LinkStartPath(Untrusted))
        {
            Content = JsonContent.Create(new { password = ApiClient.Password, returnUrl = ReturnUrl }),
        })).AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_signed_in_user_links_a_provider_with_the_password_and_signs_in_with_it_after()
    {
        var (email, tokens) = await Client.RegisterAndLoginAsync();
        var token = tokens.GetProperty("accessToken").GetString()!;
        var identity = ProviderIdentity.New();

        var fragment = await _browser.LinkAsync(token, Untrusted, identity);

        // The flow ends with a code that only the user who began the link can confirm; nothing is linked before.
        var linkCode = Assert.Single(fragment, pair => pair.Key == "link_code").Value;
        Assert.Empty(await Client.LinkedProvidersAsync(token));
        await (await Client.ExchangeAsync(linkCode)).AssertProblemAsync(HttpStatusCode.Unauthorized);
        var confirmed = await Client.ConfirmLinkAsync(token, linkCode);
        Assert.Equal(HttpStatusCode.Created, confirmed.StatusCode);
        Assert.EndsWith($"{LoginsPath}/{Untrusted}", confirmed.Headers.Location!.ToString(), StringComparison.Ordinal);
        await AssertRefusedFieldAsync(await Client.ConfirmLinkAsync(token, linkCode), "code");
        Assert.Equal([Untrusted], await Client.LinkedProvidersAsync(token));
        await NoticeAsync(email, LinkedNotice, 1);
        // The provider's email is another address: the link is to the signed-in account, not to that address.
        var signedIn = await _browser.SignInForTokensAsync(Untrusted, identity);
        Assert.Equal((await UserIdAsync(email)).ToString(), new JsonWebToken(signedIn.GetProperty("accessToken").GetString()).Subject);
        Assert.Equal(0L, await UsersWithAsync(identity.Email!));
        Assert.Equal(HttpStatusCode.OK, (await Client.LoginAsync(email)).StatusCode);

        // The same provider again with another identity: one identity per provider.
        Assert.Equal(new Dictionary<string, string> { ["error"] = "already_linked" }, await _browser.LinkAsync(token, Untrusted, ProviderIdentity.New()));
        // This identity, by another account: it is this one's.
        var other = await Client.AccessTokenForNewUserAsync();
        Assert.Equal(new Dictionary<string, string> { ["error"] = "already_linked" }, await _browser.LinkAsync(other, Untrusted, identity));
        Assert.Empty(await Client.LinkedProvidersAsync(other));
    }

    [Fact]
    public async Task A_link_begun_by_one_user_cannot_be_finished_by_another_and_a_sign_in_code_is_no_link_code()
    {
        var token = await Client.AccessTokenForNewUserAsync();
        var identity = ProviderIdentity.New();
        var linkCode = (await _browser.LinkAsync(token, Untrusted, identity))["link_code"];
        var other = await Client.AccessTokenForNewUserAsync();

        // Sent to another user's browser, the link is refused there, and spent.
        await AssertRefusedFieldAsync(await Client.ConfirmLinkAsync(other, linkCode), "code");
        await AssertRefusedFieldAsync(await Client.ConfirmLinkAsync(token, linkCode), "code");
        Assert.Empty(await Client.LinkedProvidersAsync(other));
        Assert.Empty(await Client.LinkedProvidersAsync(token));

        var signInCode = await _browser.SignInForCodeAsync(Untrusted, ProviderIdentity.New());
        await AssertRefusedFieldAsync(await Client.ConfirmLinkAsync(token, signInCode), "code");
        Assert.Empty(await Client.LinkedProvidersAsync(token));
        Assert.Equal(HttpStatusCode.OK, (await Client.ExchangeAsync(signInCode)).StatusCode);
    }

    [Fact]
    public async Task Two_users_linking_one_identity_at_once_one_wins_and_the_others_code_is_spent()
    {
        var first = await Client.AccessTokenForNewUserAsync();
        var second = await Client.AccessTokenForNewUserAsync();
        var identity = ProviderIdentity.New();
        var firstCode = (await _browser.LinkAsync(first, Untrusted, identity))["link_code"];
        var secondCode = (await _browser.LinkAsync(second, Untrusted, identity))["link_code"];

        Assert.Equal(HttpStatusCode.Created, (await Client.ConfirmLinkAsync(first, firstCode)).StatusCode);
        await (await Client.ConfirmLinkAsync(second, secondCode)).AssertProblemAsync(HttpStatusCode.Conflict);

        // Spent by its first use, whatever came of it.
        await AssertRefusedFieldAsync(await Client.ConfirmLinkAsync(second, secondCode), "code");
        Assert.Empty(await Client.LinkedProvidersAsync(second));
        Assert.Equal(1L, await LinksOfSubjectAsync(identity.Subject));
    }

    [Fact]
    public async Task A_sign_in_returns_only_to_the_browser_that_began_it()
    {
        var identity = ProviderIdentity.New();
        var callback = await _browser.AuthorizeAsync(await _browser.BeginAsync(Untrusted), identity);

        // Someone else's browser (no cookie of the flow) is sent the end of this sign-in: refused, and the flow spent.
        using var elsewhere = ExternalLoginBrowser.For(api);
        var response = await elsewhere.CallbackAsync(callback);
        await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Null(response.Headers.Location);
        Assert.Null(_browser.Provider.TokenOutcome(ExternalLoginBrowser.QueryValue(callback, "code")));

        await (await _browser.CallbackAsync(callback)).AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal(0L, await UsersWithAsync(identity.Email!));
    }

    [Fact]
    public async Task Unlinking_needs_the_password_of_an_account_that_has_one_and_never_leaves_an_account_without_a_way_in()
    {
        var (email, tokens) = await Client.RegisterAndLoginAsync();
        var token = tokens.GetProperty("accessToken").GetString()!;
        var identity = ProviderIdentity.New(email);
        await _browser.LinkProviderAsync(token, Untrusted, identity);

        await AssertRefusedFieldAsync(await Client.UnlinkAsync(token, Untrusted, "not the password"), "password");
        await AssertRefusedFieldAsync(await Client.UnlinkAsync(token, Untrusted, password: null), "password");
        await (await Client.UnlinkAsync(token, TrustedWithEmail)).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await Client.UnlinkAsync(token, "no-such-provider")).AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal([Untrusted], await Client.LinkedProvidersAsync(token));

        Assert.Equal(HttpStatusCode.NoContent, (await Client.UnlinkAsync(token, Untrusted)).StatusCode);

        Assert.Empty(await Client.LinkedProvidersAsync(token));
        await NoticeAsync(email, UnlinkedNotice, 1);
        await (await Client.UnlinkAsync(token, Untrusted)).AssertProblemAsync(HttpStatusCode.NotFound);
        // The identity opens the account no more: signing in with it is a first sign-in, meeting the account's email.
        Assert.Equal(new Dictionary<string, string> { ["error"] = "link_required" }, await _browser.SignInAsync(Untrusted, identity));

        // An account made by external sign-in has no password: its links go without one, but not the last of them.
        var external = ProviderIdentity.New();
        var externalToken = (await _browser.SignInForTokensAsync(Untrusted, external)).GetProperty("accessToken").GetString()!;
        await _browser.LinkProviderAsync(externalToken, TrustedWithEmail, ProviderIdentity.New(), password: null);
        Assert.Equal([Untrusted, TrustedWithEmail], await Client.LinkedProvidersAsync(externalToken));
        Assert.Equal(HttpStatusCode.NoContent, (await Client.UnlinkAsync(externalToken, Untrusted, password: null)).StatusCode);
        await (await Client.UnlinkAsync(externalToken, TrustedWithEmail, password: null)).AssertProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal([TrustedWithEmail], await Client.LinkedProvidersAsync(externalToken));
    }

    [Fact]
    public async Task An_account_made_by_external_sign_in_sets_a_password_through_forgot_password_and_may_then_drop_the_provider()
    {
        var identity = ProviderIdentity.New();
        var token = (await _browser.SignInForTokensAsync(Untrusted, identity)).GetProperty("accessToken").GetString()!;
        var userId = await UserIdAsync(identity.Email!);
        Assert.True(await api.Database.ScalarAsync<bool>($"SELECT password_hash IS NULL FROM users WHERE id = '{userId}'"));
        await (await Client.UnlinkAsync(token, Untrusted, password: null)).AssertProblemAsync(HttpStatusCode.Conflict);

        Assert.Equal(HttpStatusCode.Accepted, (await Client.ForgotPasswordAsync(identity.Email!)).StatusCode);
        var reset = await Client.ResetPasswordAsync(await api.TokenFromNextLinkToAsync(identity.Email!, AccountFlows.ResetPage), ApiClient.Password);
        Assert.True(reset.IsSuccessStatusCode, $"The reset answered {(int)reset.StatusCode}: {await reset.Content.ReadAsStringAsync()}");

        var login = await Client.LoginAsync(identity.Email!);
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        var fresh = (await login.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString()!;
        // The account has a password now: it is asked for, and the provider is no longer the last way in.
        await AssertRefusedFieldAsync(await Client.UnlinkAsync(fresh, Untrusted, password: null), "password");
        Assert.Equal(HttpStatusCode.NoContent, (await Client.UnlinkAsync(fresh, Untrusted)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Client.LoginAsync(identity.Email!)).StatusCode);
    }

    [Fact]
    public async Task An_untrusted_providers_email_of_an_existing_account_links_nothing_and_signs_in_no_one()
    {
        var (email, _) = await Client.RegisterAndLoginAsync();
        var userId = await UserIdAsync(email);
        var fragment = await _browser.SignInAsync(Untrusted, ProviderIdentity.New(email.ToUpperInvariant()));

        Assert.Equal(new Dictionary<string, string> { ["error"] = "link_required" }, fragment);
        Assert.Equal(0L, await api.Database.ScalarAsync<long>($"SELECT count(*) FROM external_logins WHERE user_id = '{userId}'"));
        Assert.Equal(HttpStatusCode.OK, (await Client.LoginAsync(email)).StatusCode);
        Assert.Equal(1L, await UsersWithAsync(email));
        // No notice was even queued: the outbox row would have been written with the link, before the answer.
        Assert.Equal(0L, await api.Database.ScalarAsync<long>($"SELECT count(*) FROM email_outbox WHERE lower(recipient) = lower('{email}') AND template = 'notice'"));
    }

    [Fact]
    public async Task A_trusted_providers_verified_email_links_the_confirmed_account_that_has_it_and_keeps_its_password()
    {
        var (email, _) = await Client.RegisterAndLoginAsync();
        var userId = await UserIdAsync(email);

        var tokens = await _browser.SignInForTokensAsync(TrustedWithEmail, ProviderIdentity.New(email));

        Assert.Equal(userId.ToString(), new JsonWebToken(tokens.GetProperty("accessToken").GetString()).Subject);
        Assert.Equal([TrustedWithEmail], await Client.LinkedProvidersAsync(tokens.GetProperty("accessToken").GetString()!));
        Assert.Equal(HttpStatusCode.OK, (await Client.LoginAsync(email)).StatusCode);
        await NoticeAsync(email, LinkedNotice, 1);
    }

    [Fact]
    public async Task A_trusted_link_to_an_unconfirmed_account_removes_the_password_whoever_set_it()
    {
        // Someone registered the address first, with a password of their own, and never confirmed it.
        var email = ApiClient.NewEmail("squatted");
        Assert.Equal(HttpStatusCode.Accepted, (await Client.RegisterAsync(email, "a squatters password 1234")).StatusCode);
        var userId = await UserIdAsync(email);

        var tokens = await _browser.SignInForTokensAsync(TrustedWithEmail, ProviderIdentity.New(email));

        Assert.Equal(userId.ToString(), new JsonWebToken(tokens.GetProperty("accessToken").GetString()).Subject);
        Assert.True(await api.Database.ScalarAsync<bool>($"SELECT email_confirmed AND password_hash IS NULL FROM users WHERE id = '{userId}'"));
        Assert.Equal(HttpStatusCode.Unauthorized, (await Client.LoginAsync(email, "a squatters password 1234")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Client.GetMeAsync(tokens.GetProperty("accessToken").GetString()!)).StatusCode);
    }

    [Fact]
    public async Task Two_factor_sign_in_still_applies_unless_the_provider_satisfies_it()
    {
        var user = await Client.NewUserWithTwoFactorAsync(DateTimeOffset.UtcNow);
        var identity = ProviderIdentity.New();
        await _browser.LinkProviderAsync(user.AccessToken, Untrusted, identity);

        var exchanged = await Client.ExchangeAsync(await _browser.SignInForCodeAsync(Untrusted, identity));

        var problem = await exchanged.AssertProblemAsync(HttpStatusCode.Forbidden);
        Assert.EndsWith("two-factor-required", problem.GetProperty("type").GetString(), StringComparison.Ordinal);
        var mfaToken = problem.GetProperty("mfaToken").GetString()!;
        TestRun.RememberSecret(mfaToken);
        var completed = await Client.SecondStepAsync(mfaToken, user.CodeAfter(1));
        Assert.Equal(HttpStatusCode.OK, completed.StatusCode);
        var jwt = new JsonWebToken((await completed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString());
        Assert.Equal(["fed", "mfa", "otp"], jwt.GetPayloadValue<string[]>("amr").Order());

        var strong = ProviderIdentity.New();
        await _browser.LinkProviderAsync(user.AccessToken, SatisfiesTwoFactor, strong);
        var tokens = await _browser.SignInForTokensAsync(SatisfiesTwoFactor, strong);
        var strongJwt = new JsonWebToken(tokens.GetProperty("accessToken").GetString());
        Assert.Equal(["fed", "mfa"], strongJwt.GetPayloadValue<string[]>("amr").Order());
        Assert.Equal(jwt.Subject, strongJwt.Subject);
    }

    [Fact]
    public async Task A_user_who_declines_at_the_provider_comes_back_with_access_denied_and_no_account()
    {
        var identity = ProviderIdentity.New() with { Declines = true };

        var fragment = await _browser.SignInAsync(Untrusted, identity);

        Assert.Equal(new Dictionary<string, string> { ["error"] = "access_denied" }, fragment);
        Assert.Equal(0L, await UsersWithAsync(identity.Email!));
    }

    [Fact]
    public async Task A_deactivated_linked_account_cannot_sign_in_with_its_provider()
    {
        var identity = ProviderIdentity.New();
        await _browser.SignInForTokensAsync(Untrusted, identity);
        var userId = await UserIdAsync(identity.Email!);
        await api.Database.ExecuteAsync($"UPDATE users SET is_active = false WHERE id = '{userId}'");

        Assert.Equal(new Dictionary<string, string> { ["error"] = "sign_in_failed" }, await _browser.SignInAsync(Untrusted, identity));

        await api.Database.ExecuteAsync($"UPDATE users SET is_active = true WHERE id = '{userId}'");
        // Deactivated between the callback and the exchange: the code is worth nothing.
        var code = await _browser.SignInForCodeAsync(Untrusted, identity);
        await api.Database.ExecuteAsync($"UPDATE users SET is_active = false WHERE id = '{userId}'");
        await (await Client.ExchangeAsync(code)).AssertProblemAsync(HttpStatusCode.Unauthorized);
        await api.Database.ExecuteAsync($"UPDATE users SET is_active = true WHERE id = '{userId}'");
        await _browser.SignInForTokensAsync(Untrusted, identity);
    }

    [Fact]
    public async Task A_provider_that_cannot_be_reached_is_a_503_at_the_start_and_provider_unavailable_at_the_callback()
    {
        await using var app = api.WithSettings(new Dictionary<string, string?>
        {
            ["ExternalLogin:Providers:down-idp:Authority"] = TestOpenIdProvider.UnreachableAuthority(),
            ["ExternalLogin:Providers:down-idp:ClientId"] = "contoso_orders-down-idp",
        });
        using var browser = ExternalLoginBrowser.For(app);

        var start = await browser.StartAsync("down-idp");
        await start.AssertProblemAsync(HttpStatusCode.ServiceUnavailable);
        Assert.Null(start.Headers.Location);
        await (await browser.Api.StartLinkAsync(await browser.Api.AccessTokenForNewUserAsync(), "down-idp")).AssertProblemAsync(HttpStatusCode.ServiceUnavailable);

        // Discovery answers, the token endpoint does not.
        var identity = ProviderIdentity.New() with { TokenEndpointDown = true };
        var callback = await browser.AuthorizeAsync(await browser.BeginAsync(Untrusted), identity);
        Assert.Equal(new Dictionary<string, string> { ["error"] = "provider_unavailable" }, ExternalLoginBrowser.Fragment(await browser.CallbackAsync(callback)));
        Assert.Equal("dropped", browser.Provider.TokenOutcome(ExternalLoginBrowser.QueryValue(callback, "code")));
        Assert.Equal(0L, await UsersWithAsync(identity.Email!));
    }

    [Fact]
    public async Task A_provider_that_rotates_its_signing_key_is_followed_at_the_first_token_under_the_new_one()
    {
        await using var provider = TestOpenIdProvider.StartNew();
        await using var app = api.WithSettings(ProviderSettings(provider, "rotating-idp", confidential: true));
        using var browser = ExternalLoginBrowser.For(app, provider);
        // The first sign-in fetches the discovery document and the keys, which the app then keeps.
        await browser.SignInForTokensAsync("rotating-idp", ProviderIdentity.New());

        provider.RotateKey();

        var identity = ProviderIdentity.New();
        var callback = await browser.AuthorizeAsync(await browser.BeginAsync("rotating-idp"), identity);
        var fragment = ExternalLoginBrowser.Fragment(await browser.CallbackAsync(callback));
        Assert.Equal("issued", provider.TokenOutcome(ExternalLoginBrowser.QueryValue(callback, "code")));
        Assert.True(fragment.ContainsKey("code"), $"The sign-in after the rotation ended with #{string.Join('&', fragment.Select(pair => $"{pair.Key}={pair.Value}"))}");
        await browser.Api.ExchangeForTokensAsync(fragment["code"]);
    }

    [Fact]
    public async Task The_client_secret_goes_by_http_basic_unless_the_provider_offers_only_post_and_a_public_client_sends_none()
    {
        var basic = await _browser.AuthorizeAsync(await _browser.BeginAsync(Untrusted), ProviderIdentity.New());
        Assert.True(ExternalLoginBrowser.Fragment(await _browser.CallbackAsync(basic)).ContainsKey("code"));
        Assert.Equal("client_secret_basic", _browser.Provider.ClientAuthentication(ExternalLoginBrowser.QueryValue(basic, "code")));

        await using var postOnly = TestOpenIdProvider.StartNew(postOnly: true);
        var settings = ProviderSettings(postOnly, "post-idp", confidential: true);
        foreach (var (key, value) in ProviderSettings(postOnly, "public-idp", confidential: false))
        {
            settings[key] = value;
        }

        await using var app = api.WithSettings(settings);
        using var browser = ExternalLoginBrowser.For(app, postOnly);
        foreach (var (provider, method) in new[] { ("post-idp", "client_secret_post"), ("public-idp", "none") })
        {
            var callback = await browser.AuthorizeAsync(await browser.BeginAsync(provider), ProviderIdentity.New());
            var fragment = ExternalLoginBrowser.Fragment(await browser.CallbackAsync(callback));
            Assert.Equal(method, postOnly.ClientAuthentication(ExternalLoginBrowser.QueryValue(callback, "code")));
            Assert.True(fragment.ContainsKey("code"), $"{provider}: #{string.Join('&', fragment.Select(pair => $"{pair.Key}={pair.Value}"))}");
            await browser.Api.ExchangeForTokensAsync(fragment["code"]);
        }
    }

    [Fact]
    public async Task The_configured_scopes_are_asked_for_with_openid_always_and_once()
    {
        await using var app = api.WithSettings(new Dictionary<string, string?>
        {
            [$"ExternalLogin:Providers:{Untrusted}:Scopes:0"] = "email",
            [$"ExternalLogin:Providers:{Untrusted}:Scopes:1"] = "openid",
        });
        using var browser = ExternalLoginBrowser.For(app);

        var authorization = await browser.BeginAsync(Untrusted);

        Assert.Equal("openid email", QueryHelpers.ParseQuery(authorization.Query)["scope"].ToString());
    }

    [Fact]
    public async Task Wrong_passwords_given_to_link_or_unlink_throttle_the_account()
    {
        await using var limited = api.WithSettings(new Dictionary<string, string?> { ["Auth:MaxFailedLoginsPerEmail"] = "3" });
        using var browser = ExternalLoginBrowser.For(limited);
        var token = await browser.Api.AccessTokenForNewUserAsync();
        for (var attempt = 0; attempt < 3; attempt++)
        {
            await AssertRefusedFieldAsync(attempt % 2 == 0
                ? await browser.Api.StartLinkAsync(token, Untrusted, "not the password")
                : await browser.Api.UnlinkAsync(token, Untrusted, "not the password"), "password");
        }

        var refused = await browser.Api.StartLinkAsync(token, Untrusted);
        await refused.AssertProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.InRange(refused.Headers.RetryAfter!.Delta!.Value, TimeSpan.FromMinutes(14), TimeSpan.FromMinutes(15));
        await (await browser.Api.UnlinkAsync(token, Untrusted)).AssertProblemAsync(HttpStatusCode.TooManyRequests);
    }

    [Fact]
    public async Task Deleting_the_account_deletes_its_links()
    {
        var (email, tokens) = await Client.RegisterAndLoginAsync();
        var token = tokens.GetProperty("accessToken").GetString()!;
        var identity = ProviderIdentity.New();
        await _browser.LinkProviderAsync(token, Untrusted, identity);
        await _browser.LinkProviderAsync(token, TrustedWithEmail, ProviderIdentity.New());
        // A link waiting at the provider, and one waiting for its confirmation.
        await _browser.BeginLinkAsync(token, SatisfiesTwoFactor);
        Assert.True((await _browser.LinkAsync(token, SatisfiesTwoFactor, ProviderIdentity.New())).ContainsKey("link_code"));
        var userId = await UserIdAsync(email);
        Assert.Equal(2L, await api.Database.ScalarAsync<long>($"SELECT count(*) FROM external_logins WHERE user_id = '{userId}'"));
        Assert.Equal(1L, await api.Database.ScalarAsync<long>($"SELECT count(*) FROM external_login_flows WHERE user_id = '{userId}'"));
        Assert.Equal(1L, await api.Database.ScalarAsync<long>($"SELECT count(*) FROM external_login_codes WHERE user_id = '{userId}'"));

        Assert.Equal(HttpStatusCode.NoContent, (await Client.DeleteAccountAsync(token)).StatusCode);

        foreach (var table in new[] { "external_logins", "external_login_flows", "external_login_codes" })
        {
            Assert.Equal(0L, await api.Database.ScalarAsync<long>($"SELECT count(*) FROM {table} WHERE user_id = '{userId}'"));
        }

        // The identity is free again: it makes a new account of its own.
        await _browser.SignInForTokensAsync(Untrusted, identity);
        Assert.Equal(1L, await UsersWithAsync(identity.Email!));
    }

    /// <summary>
    /// The settings of one more provider, <paramref name="name"/>, at a provider of the test's own: a confidential client
    /// (with its secret) or a public one.
    /// </summary>
    private static Dictionary<string, string?> ProviderSettings(TestOpenIdProvider provider, string name, bool confidential)
    {
        var clientId = $"contoso_orders-{name}";
        var settings = new Dictionary<string, string?>
        {
            [$"ExternalLogin:Providers:{name}:Authority"] = provider.Issuer,
            [$"ExternalLogin:Providers:{name}:ClientId"] = clientId,
        };
        if (confidential)
        {
            var secret = provider.ClientSecret(clientId);
            TestRun.RememberSecret(secret);
            settings[$"ExternalLogin:Providers:{name}:ClientSecret"] = secret;
        }
        else
        {
            provider.RegisterPublicClient(clientId);
        }

        return settings;
    }

    private static async Task AssertRefusedFieldAsync(HttpResponseMessage response, string field)
    {
        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.TryGetProperty("errors", out var errors) && errors.TryGetProperty(field, out _), $"The problem should name {field}: {problem}");
    }

    private async Task<Guid> UserIdAsync(string email) =>
        Guid.Parse(await api.Database.ScalarAsync<string>($"SELECT id::text FROM users WHERE normalized_email = '{email.ToLowerInvariant()}'"));

    /// <summary>The links that hold the provider's subject, whatever the column: the subject is no secret, so it is kept as it comes.</summary>
    private Task<long> LinksOfSubjectAsync(string subject) =>
        api.Database.ScalarAsync<long>($"SELECT count(*) FROM external_logins l WHERE strpos(row_to_json(l)::text, '{subject}') > 0");

    private Task<long> UsersWithAsync(string email) =>
        api.Database.ScalarAsync<long>($"SELECT count(*) FROM users WHERE normalized_email = '{email.ToLowerInvariant()}'");

    /// <summary>Waits for the <paramref name="count"/>th email to the address whose subject mentions <paramref name="subject"/>.</summary>
    private Task NoticeAsync(string email, string subject, int count) => Patience.UntilAsync(
        () => api.Mail.MessagesTo(email).Count(message => (message.Subject ?? "").Contains(subject, StringComparison.OrdinalIgnoreCase)) >= count,
        $"notice {count} about \"{subject}\"");
}
