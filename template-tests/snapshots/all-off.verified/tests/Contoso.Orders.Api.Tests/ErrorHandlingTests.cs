using System.Net;
using Contoso.Orders.Api.Security;
using Contoso.Orders.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Contoso.Orders.Api.Tests;

/// <summary>Security checklist point 19: errors are Problem Details and nothing internal leaks (bad bodies: BadInputTests).</summary>
[Collection(ApiCollection.Name)]
public sealed class ErrorHandlingTests(ApiFactory api)
{
    private readonly HttpClient _client = api.CreateClient();

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
