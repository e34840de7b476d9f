using System.Net;
using Contoso.Orders.Api.Configuration;
using Contoso.Orders.Api.Security;
using Contoso.Orders.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Contoso.Orders.Api.Tests;

/// <summary>Security checklist points 19 and 20: errors are Problem Details and nothing internal leaks (bad bodies: BadInputTests).</summary>
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
    public async Task Text_postgres_refuses_to_store_answers_a_400_problem_not_a_500()
    {
        // No endpoint lets such text through: this is the net under a validation someone forgets.
        var refusal = await PostgresRefusalOfNulAsync();
        await using var app = api.WithWebHostBuilder(builder => builder.ConfigureTestServices(services =>
            services.AddSingleton<PasswordHasher>(provider => new RefusedPasswordHasher(provider.GetRequiredService<IOptions<AuthSettings>>(), refusal))));
        using var client = app.CreateClient();

        var response = await client.RegisterAsync(ApiClient.NewEmail());

        var body = (await response.AssertProblemAsync(HttpStatusCode.BadRequest)).GetRawText();
        Assert.DoesNotContain(PostgresErrorCodes.CharacterNotInRepertoire, body);
        Assert.DoesNotContain("UTF8", body);
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

    /// <summary>What PostgreSQL answers to text holding NUL, asked as the API asks it.</summary>
    private async Task<PostgresException> PostgresRefusalOfNulAsync()
    {
        await using var connection = new NpgsqlConnection(api.Database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM users WHERE normalized_email = $1", connection)
        {
            Parameters = { new NpgsqlParameter { Value = "a\u0000b@example.com" } },
        };

        var refusal = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteScalarAsync());
        Assert.Equal(PostgresErrorCodes.CharacterNotInRepertoire, refusal.SqlState);
        return refusal;
    }

    private sealed class ExplodingPasswordHasher(IOptions<AuthSettings> settings) : PasswordHasher(settings)
    {
        public const string Message = "secret internal failure detail";

        public override string Hash(string password) => throw new InvalidOperationException(Message);
    }

    /// <summary>Meets PostgreSQL's refusal while registering, wrapped as EF Core wraps it when saving.</summary>
    private sealed class RefusedPasswordHasher(IOptions<AuthSettings> settings, PostgresException refusal) : PasswordHasher(settings)
    {
        public override string Hash(string password) => throw new DbUpdateException("An error occurred while saving the entity changes.", refusal);
    }
}
