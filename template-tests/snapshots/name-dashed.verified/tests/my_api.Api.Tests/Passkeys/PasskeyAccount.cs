using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using my_api.Api.Tests.Infrastructure;
using my_api.Api.Tests.TwoFactor;

namespace my_api.Api.Tests.Passkeys;

/// <summary>The relying party of every test app: a front end on app.example.com, passkeys bound to example.com.</summary>
public static class PasskeyOrigins
{
    public const string RpId = "example.com";
    public const string Origin = "https://app.example.com";
}

/// <summary>An options answer: the flow's id and the options, as a front end reads them.</summary>
public sealed record PasskeyOptions(string FlowId, JsonElement Options);

/// <summary>The passkey requests, written once.</summary>
public static class PasskeyAccount
{
    public const string RegistrationOptionsPath = "/api/v1/users/me/passkeys/options";
    public const string PasskeysPath = "/api/v1/users/me/passkeys";
    public const string SignInOptionsPath = "/api/v1/auth/passkey/options";
    public const string SignInPath = "/api/v1/auth/passkey/login";

    public static SoftwareAuthenticator NewAuthenticator(bool synced = false) => new(PasskeyOrigins.RpId, PasskeyOrigins.Origin, synced);

    public static async Task<PasskeyOptions> RegistrationOptionsAsync(this HttpClient client, string token, string password = ApiClient.Password)
    {
        var response = await client.PostJsonAsync(RegistrationOptionsPath, new { password }, token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await ReadOptionsAsync(response);
    }

    public static Task<HttpResponseMessage> AddPasskeyAsync(this HttpClient client, string token, string flowId, JsonObject credential, string name = "Test key") =>
        client.PostJsonAsync(PasskeysPath, new JsonObject { ["flowId"] = flowId, ["name"] = name, ["credential"] = credential.DeepClone() }, token);

    /// <summary>Both steps of adding a passkey held by <paramref name="authenticator"/>; the passkey's JSON.</summary>
    public static async Task<JsonElement> RegisterPasskeyAsync(this HttpClient client, string token, SoftwareAuthenticator authenticator, string name = "Test key")
    {
        var options = await client.RegistrationOptionsAsync(token);
        var response = await client.AddPasskeyAsync(token, options.FlowId, authenticator.Create(options.Options), name);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    public static async Task<PasskeyOptions> SignInOptionsAsync(this HttpClient client)
    {
        var response = await client.PostAsync(SignInOptionsPath, content: null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await ReadOptionsAsync(response);
    }

    public static Task<HttpResponseMessage> PasskeySignInAsync(this HttpClient client, string flowId, JsonObject credential) =>
        client.PostJsonAsync(SignInPath, new JsonObject { ["flowId"] = flowId, ["credential"] = credential.DeepClone() });

    /// <summary>Both steps of a passkey sign-in, as the authenticator answers them with <paramref name="tampering"/>.</summary>
    public static async Task<HttpResponseMessage> SignInWithPasskeyAsync(this HttpClient client, SoftwareAuthenticator authenticator, Tampering? tampering = null)
    {
        var options = await client.SignInOptionsAsync();
        return await client.PasskeySignInAsync(options.FlowId, authenticator.Get(options.Options, tampering));
    }

    public static Task<HttpResponseMessage> RemovePasskeyAsync(this HttpClient client, string token, string id, string? password = ApiClient.Password) =>
        client.SendAsync(new HttpRequestMessage(HttpMethod.Delete, $"{PasskeysPath}/{id}") { Content = JsonContent.Create(new { password }) }.WithBearer(token));

    private static async Task<PasskeyOptions> ReadOptionsAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return new PasskeyOptions(body.GetProperty("flowId").GetString()!, body.GetProperty("options"));
    }
}
