using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Contoso.Orders.Api.Tests.Infrastructure;

namespace Contoso.Orders.Api.Tests;

[Collection(ApiCollection.Name)]
public sealed class UsersEndpointTests(ApiFactory api)
{
    private readonly HttpClient _client = api.CreateClient();

    [Fact]
    public async Task Me_answers_200_with_the_authenticated_user()
    {
        var (email, tokens) = await _client.RegisterAndLoginAsync();

        var response = await _client.GetMeAsync(tokens.GetProperty("accessToken").GetString()!);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var me = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(email, me.GetProperty("email").GetString());
        Assert.True(me.GetProperty("emailConfirmed").GetBoolean());
        Assert.True(me.GetProperty("isActive").GetBoolean());
        Assert.True(Guid.TryParse(me.GetProperty("id").GetString(), out _));
    }

    [Fact]
    public async Task Me_answers_401_with_a_bearer_challenge_without_a_token()
    {
        var response = await _client.GetAsync("/api/v1/users/me");

        await response.AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Fact]
    public async Task Me_answers_401_within_a_second_of_the_user_being_deactivated_in_the_database_even_with_an_unexpired_token()
    {
        var (email, tokens) = await _client.RegisterAndLoginAsync();
        var token = tokens.GetProperty("accessToken").GetString()!;
        Assert.Equal(HttpStatusCode.OK, (await _client.GetMeAsync(token)).StatusCode);

        await api.Database.ExecuteAsync($"UPDATE users SET is_active = false WHERE normalized_email = '{email}'");
        // The app holds the user in memory until the database's announcement of the change arrives.
        var refusedAfter = await Revocation.FirstRefusalAsync(_client, token, Stopwatch.StartNew());

        Assert.True(refusedAfter <= Revocation.Bound, $"The deactivated user's token was accepted for {Revocation.Milliseconds(refusedAfter)}.");
        await (await _client.GetMeAsync(token)).AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Changing_the_password_answers_204_only_the_new_one_logs_in_and_earlier_access_tokens_are_refused()
    {
        var (email, tokens) = await _client.RegisterAndLoginAsync();
        var earlier = tokens.GetProperty("accessToken").GetString()!;
        const string newPassword = "a brand new passphrase";

        var response = await _client.ChangePasswordAsync(earlier, ApiClient.Password, newPassword);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _client.LoginAsync(email)).StatusCode);
        var login = await _client.LoginAsync(email, newPassword);
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        await (await _client.GetMeAsync(earlier)).AssertProblemAsync(HttpStatusCode.Unauthorized);
        var later = (await login.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString()!;
        Assert.Equal(HttpStatusCode.OK, (await _client.GetMeAsync(later)).StatusCode);
    }

    [Fact]
    public async Task Changing_the_password_answers_400_for_a_wrong_current_password_and_changes_nothing()
    {
        var (email, tokens) = await _client.RegisterAndLoginAsync();

        var response = await _client.ChangePasswordAsync(tokens.GetProperty("accessToken").GetString()!, "not the password", "a brand new passphrase");

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("currentPassword", out _));
        Assert.Equal(HttpStatusCode.OK, (await _client.LoginAsync(email)).StatusCode);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("short")]
    [InlineData("this passphrase is far too long for bcrypt, which reads only seventy-two bytes of it")]
    public async Task Changing_the_password_answers_400_for_an_invalid_new_password(string? newPassword)
    {
        var (_, tokens) = await _client.RegisterAndLoginAsync();

        var response = await _client.ChangePasswordAsync(tokens.GetProperty("accessToken").GetString()!, ApiClient.Password, newPassword);

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("newPassword", out _));
    }

    [Fact]
    public async Task Changing_the_password_answers_401_without_a_token()
    {
        var response = await _client.PutAsJsonAsync("/api/v1/users/me/password", new { currentPassword = "x", newPassword = "yyyyyyyyyy" });

        await response.AssertProblemAsync(HttpStatusCode.Unauthorized);
    }
}
