using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Contoso.Orders.Api.Configuration;
using Contoso.Orders.Api.Security;
using Contoso.Orders.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Contoso.Orders.Api.Tests;

[Collection(ApiCollection.Name)]
public sealed class AuthEndpointTests(ApiFactory api)
{
    private readonly HttpClient _client = api.CreateClient();

    [Fact]
    public async Task Register_answers_202_with_a_fixed_message_and_creates_an_unconfirmed_user()
    {
        var email = ApiClient.NewEmail("New.User");

        var response = await _client.RegisterAsync($"  {email}  ");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Null(response.Headers.Location);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(["message"], body.EnumerateObject().Select(property => property.Name));
        Assert.Equal(email, await api.Database.ScalarAsync<string>($"SELECT email FROM users WHERE normalized_email = '{email.ToLowerInvariant()}'"));
        Assert.False(await api.Database.ScalarAsync<bool>($"SELECT email_confirmed FROM users WHERE normalized_email = '{email.ToLowerInvariant()}'"));
    }

    [Fact]
    public async Task Registering_an_address_again_in_any_letter_case_answers_the_same_and_creates_no_second_account()
    {
        var email = ApiClient.NewEmail();
        var first = await _client.RegisterAsync(email);

        var again = await _client.RegisterAsync(email.ToUpperInvariant(), "another passphrase entirely");

        Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await again.Content.ReadAsStringAsync());
        Assert.Equal(1L, await api.Database.ScalarAsync<long>($"SELECT count(*) FROM users WHERE normalized_email = '{email}'"));
    }

    [Fact]
    public async Task Concurrent_registrations_of_one_email_create_one_account_and_answer_alike()
    {
        var email = ApiClient.NewEmail();

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => _client.RegisterAsync(email)));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Accepted, r.StatusCode));
        Assert.Single((await Task.WhenAll(responses.Select(r => r.Content.ReadAsStringAsync()))).Distinct());
        Assert.Equal(1L, await api.Database.ScalarAsync<long>($"SELECT count(*) FROM users WHERE normalized_email = '{email}'"));
    }

    public static TheoryData<string?, string?, string> InvalidRegistrations => new()
    {
        { null, ApiClient.Password, "email" },
        { "", ApiClient.Password, "email" },
        { "not-an-email", ApiClient.Password, "email" },
        { "two@@example.com", ApiClient.Password, "email" },
        { "spaces in@example.com", ApiClient.Password, "email" },
        { "user@localhost", ApiClient.Password, "email" },
        { "bell\u0007@example.com", ApiClient.Password, "email" },
        { new string('a', 64) + "@" + new string('b', 185) + ".com", ApiClient.Password, "email" }, // 255 characters
        { "someone@example.com", null, "password" },
        { "someone@example.com", "short", "password" },
        { "someone@example.com", new string('x', 73), "password" },
        { "someone@example.com", new string('é', 37), "password" }, // 74 bytes in UTF-8, 37 characters
    };

    [Theory]
    [MemberData(nameof(InvalidRegistrations))]
    public async Task Register_answers_400_naming_the_invalid_field(string? email, string? password, string field)
    {
        var response = await _client.PostAsJsonAsync("/api/v1/auth/register", new { email, password });

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"errors names {field}");
    }

    [Fact]
    public async Task A_password_of_exactly_72_bytes_is_accepted_and_must_match_in_full()
    {
        var password = new string('p', 71) + "1";
        var (email, _) = await _client.RegisterAndLoginAsync(password);

        var differingInLastByte = await _client.LoginAsync(email, new string('p', 71) + "2");

        Assert.Equal(HttpStatusCode.Unauthorized, differingInLastByte.StatusCode);
    }

    [Fact]
    public async Task Non_ascii_emails_are_accepted_and_unique_regardless_of_case()
    {
        var email = $"Ünïcödé-{Guid.NewGuid():N}@exämple.com";
        Assert.Equal(HttpStatusCode.Accepted, (await _client.RegisterAsync(email)).StatusCode);

        Assert.Equal(HttpStatusCode.Accepted, (await _client.RegisterAsync(email.ToLowerInvariant())).StatusCode);
        Assert.Equal(1L, await api.Database.ScalarAsync<long>($"SELECT count(*) FROM users WHERE normalized_email = '{email.ToLowerInvariant()}'"));
    }

    [Fact]
    public async Task Login_answers_200_with_a_bearer_token_that_must_not_be_cached()
    {
        var email = ApiClient.NewEmail();
        await _client.RegisterConfirmedAsync(email);

        var response = await _client.LoginAsync($" {email.ToUpperInvariant()} ");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        var tokens = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Bearer", tokens.GetProperty("tokenType").GetString());
        Assert.Equal(15 * 60, tokens.GetProperty("expiresIn").GetInt32());
        Assert.False(string.IsNullOrEmpty(tokens.GetProperty("accessToken").GetString()));
    }

    [Fact]
    public async Task Login_answers_unknown_email_wrong_password_and_deactivated_account_identically()
    {
        var known = ApiClient.NewEmail();
        await _client.RegisterConfirmedAsync(known);
        var deactivated = ApiClient.NewEmail();
        await _client.RegisterConfirmedAsync(deactivated);
        await api.Database.ExecuteAsync($"UPDATE users SET is_active = false WHERE normalized_email = '{deactivated}'");

        var responses = new[]
        {
            await _client.LoginAsync(ApiClient.NewEmail("nobody")),
            await _client.LoginAsync(known, "wrong password!"),
            await _client.LoginAsync(deactivated),
        };

        foreach (var response in responses)
        {
            await response.AssertProblemAsync(HttpStatusCode.Unauthorized);
        }

        var bodies = await Task.WhenAll(responses.Select(r => r.Content.ReadAsStringAsync()));
        Assert.Single(bodies.Distinct());
        Assert.Single(responses.Select(r => string.Join(";", r.Headers.Concat(r.Content.Headers)
            .Where(h => h.Key is not "Date").Select(h => $"{h.Key}={string.Join(",", h.Value)}"))).Distinct());
    }

    [Fact]
    public async Task Login_answers_a_malformed_email_as_an_unknown_one_after_the_dummy_verification_without_asking_postgres()
    {
        string[] malformed = ["a\u0000b@example.com", "bell\u0007@example.com", "\u200Binvisible@example.com", "no-at-sign", "two@@example.com",
            "user@localhost", new string('a', 100_000) + "@example.com"];
        var unknown = await (await _client.LoginAsync(ApiClient.NewEmail("nobody"))).Content.ReadAsStringAsync();
        // An app whose database is unreachable answers 503 to whatever asks PostgreSQL.
        await using var app = api.WithWebHostBuilder(builder => builder
            .ConfigureAppConfiguration((_, configuration) => configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["ConnectionStrings:Postgres"] = "Host=127.0.0.1;Port=1;Database=nowhere;Username=nobody;Password=unused;Timeout=3",
            }))
            .ConfigureTestServices(services => services.AddSingleton<PasswordHasher, CountingPasswordHasher>()));
        using var client = app.CreateClient();
        var hasher = (CountingPasswordHasher)app.Services.GetRequiredService<PasswordHasher>();

        foreach (var email in malformed)
        {
            var response = await client.LoginAsync(email);

            await response.AssertProblemAsync(HttpStatusCode.Unauthorized);
            Assert.Equal(unknown, await response.Content.ReadAsStringAsync());
        }

        Assert.Equal(malformed.Length, hasher.DummyVerifications);
        await (await client.LoginAsync(ApiClient.NewEmail("nobody"))).AssertProblemAsync(HttpStatusCode.ServiceUnavailable);
    }

    [Fact]
    public async Task Login_answers_400_when_a_field_is_missing()
    {
        var response = await _client.PostAsJsonAsync("/api/v1/auth/login", new { email = "someone@example.com" });

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("password", out _));
    }

    private sealed class CountingPasswordHasher(IOptions<AuthSettings> settings) : PasswordHasher(settings)
    {
        private int _dummyVerifications;

        public int DummyVerifications => _dummyVerifications;

        public override void VerifyAgainstDummy(string password)
        {
            Interlocked.Increment(ref _dummyVerifications);
            base.VerifyAgainstDummy(password);
        }
    }
}
