using System.Net;
using System.Text;
using Contoso.Orders.Api.Security;
using Contoso.Orders.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Contoso.Orders.Api.Tests;

/// <summary>Security checklist points 19 and 20: bad input answers 4xx Problem Details, and nothing internal leaks.</summary>
[Collection(ApiCollection.Name)]
public sealed class ErrorHandlingTests(ApiFactory api)
{
    private readonly HttpClient _client = api.CreateClient();

    public static TheoryData<string, string, string, HttpStatusCode> BadBodies => new()
    {
        { "malformed JSON", """{"email": "a@example.com", "password": """, "application/json", HttpStatusCode.BadRequest },
        { "not an object", "[1, 2, 3]", "application/json", HttpStatusCode.BadRequest },
        { "empty body", "", "application/json", HttpStatusCode.BadRequest },
        { "null body", "null", "application/json", HttpStatusCode.BadRequest },
        { "wrong type", """{"email": 42, "password": true}""", "application/json", HttpStatusCode.BadRequest },
        { "nulls", """{"email": null, "password": null}""", "application/json", HttpStatusCode.BadRequest },
        { "unknown field", """{"email": "a@example.com", "password": "long enough", "isActive": false}""", "application/json", HttpStatusCode.BadRequest },
        { "duplicated field", """{"email": "a@example.com", "email": "b@example.com", "password": "long enough"}""", "application/json", HttpStatusCode.BadRequest },
        { "very long email", $$"""{"email": "{{new string('a', 100_000)}}@example.com", "password": "long enough"}""", "application/json", HttpStatusCode.BadRequest },
        { "plain text", "email=a@example.com", "text/plain", HttpStatusCode.UnsupportedMediaType },
        { "form", "email=a%40example.com&password=long+enough", "application/x-www-form-urlencoded", HttpStatusCode.UnsupportedMediaType },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Register_answers_a_4xx_problem_for(string name, string body, string contentType, HttpStatusCode expected)
    {
        var response = await _client.PostAsync("/api/v1/auth/register", new StringContent(body, Encoding.UTF8, contentType));

        Assert.True(expected == response.StatusCode, $"{expected} expected, {response.StatusCode} {response.Content.Headers.ContentType} {await response.Content.ReadAsStringAsync()}");
        await response.AssertProblemAsync(expected);
        Assert.False(string.IsNullOrEmpty(name));
    }

    [Fact]
    public async Task A_body_over_one_mebibyte_answers_413()
    {
        var body = $$"""{"email": "a@example.com", "password": "{{new string('x', 1024 * 1024)}}"}""";

        var response = await _client.PostAsync("/api/v1/auth/login", new StringContent(body, Encoding.UTF8, "application/json"));

        await response.AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task An_unknown_route_answers_a_404_problem()
    {
        await (await _client.GetAsync("/api/v1/nothing-here")).AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_wrong_method_answers_a_405_problem()
    {
        await (await _client.GetAsync("/api/v1/auth/login")).AssertProblemAsync(HttpStatusCode.MethodNotAllowed);
    }

    [Fact]
    public async Task An_unexpected_failure_answers_a_bare_500_problem_without_internal_detail()
    {
        await using var app = api.WithWebHostBuilder(builder => builder.ConfigureTestServices(services =>
            services.AddSingleton<PasswordHasher, ExplodingPasswordHasher>()));
        using var client = app.CreateClient();

        var response = await client.RegisterAsync(ApiClient.NewEmail());

        var problem = await response.AssertProblemAsync(HttpStatusCode.InternalServerError);
        var body = problem.GetRawText();
        Assert.DoesNotContain(ExplodingPasswordHasher.Message, body);
        Assert.DoesNotContain("at Contoso.Orders", body);
        Assert.DoesNotContain("Exception", body);
    }

    [Fact]
    public async Task While_postgres_is_unreachable_an_endpoint_that_needs_it_answers_503_within_seconds()
    {
        await using var app = api.WithSettings(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = "Host=127.0.0.1;Port=1;Database=nowhere;Username=nobody;Password=unused;Timeout=3",
        });
        using var client = app.CreateClient();

        var started = DateTime.UtcNow;
        var response = await client.LoginAsync(ApiClient.NewEmail());

        var problem = await response.AssertProblemAsync(HttpStatusCode.ServiceUnavailable);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10));
        Assert.DoesNotContain("127.0.0.1", problem.GetRawText());
    }

    private sealed class ExplodingPasswordHasher(IOptions<Configuration.AuthSettings> settings) : PasswordHasher(settings)
    {
        public const string Message = "secret internal failure detail";

        public override string Hash(string password) => throw new InvalidOperationException(Message);
    }
}
