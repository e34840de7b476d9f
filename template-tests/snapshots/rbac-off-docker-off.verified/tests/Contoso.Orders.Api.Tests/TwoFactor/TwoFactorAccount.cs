using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Contoso.Orders.Api.Tests.Infrastructure;

namespace Contoso.Orders.Api.Tests.TwoFactor;

/// <summary>A user with two-factor sign-in on: the secret the test's own TOTP computes codes from, and the codes shown at enabling.</summary>
public sealed record TwoFactorUser(string Email, byte[] Secret, IReadOnlyList<string> RecoveryCodes, string AccessToken, long EnabledStep)
{
    /// <summary>The code of a step relative to the one used to enable (a step is accepted once, so each use needs a later one).</summary>
    public string CodeAfter(int steps) => TestTotp.CodeForStep(Secret, EnabledStep + steps);
}

/// <summary>The two-factor requests, written once.</summary>
public static class TwoFactorAccount
{
    public const string SetupPath = "/api/v1/users/me/two-factor/setup";
    public const string EnablePath = "/api/v1/users/me/two-factor/enable";
    public const string DisablePath = "/api/v1/users/me/two-factor/disable";
    public const string RecoveryCodesPath = "/api/v1/users/me/two-factor/recovery-codes";
    public const string SecondStepPath = "/api/v1/auth/login/two-factor";

    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string path, object body, string? token = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        return client.SendAsync(token is null ? request : request.WithBearer(token));
    }

    /// <summary>Sets up an authenticator for the token's user and returns its secret, read from the otpauth URI as an app would.</summary>
    public static async Task<byte[]> SetUpAsync(this HttpClient client, string token, string password = ApiClient.Password)
    {
        var response = await client.PostJsonAsync(SetupPath, new { password }, token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        TestRun.RememberSecret(body.GetProperty("sharedKey").GetString()!);
        var uri = new Uri(body.GetProperty("otpauthUri").GetString()!);
        var secret = TestTotp.FromBase32(System.Web.HttpUtility.ParseQueryString(uri.Query)["secret"]!);
        Assert.Equal(secret, TestTotp.FromBase32(body.GetProperty("sharedKey").GetString()!));
        return secret;
    }

    /// <summary>
    /// A new confirmed user who logged in and turned two-factor sign-in on with the code of the step at
    /// <paramref name="now"/> (the app's clock).
    /// </summary>
    public static async Task<TwoFactorUser> NewUserWithTwoFactorAsync(this HttpClient client, DateTimeOffset now)
    {
        var (email, tokens) = await client.RegisterAndLoginAsync();
        var token = tokens.GetProperty("accessToken").GetString()!;
        var secret = await client.SetUpAsync(token);
        var step = TestTotp.StepAt(now);
        var enabled = await client.PostJsonAsync(EnablePath, new { code = TestTotp.CodeForStep(secret, step) }, token);
        Assert.Equal(HttpStatusCode.OK, enabled.StatusCode);
        var codes = (await enabled.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("recoveryCodes").EnumerateArray().Select(code => code.GetString()!).ToList();
        foreach (var code in codes)
        {
            TestRun.RememberSecret(code);
            TestRun.RememberSecret(code.Replace("-", "", StringComparison.Ordinal));
        }

        return new TwoFactorUser(email, secret, codes, token, step);
    }

    /// <summary>A login with the right password for an account with two-factor sign-in: the 403 and its mfaToken.</summary>
    public static async Task<string> StartLoginAsync(this HttpClient client, string email, string password = ApiClient.Password)
    {
        var response = await client.LoginAsync(email, password);
        var problem = await response.AssertProblemAsync(HttpStatusCode.Forbidden);
        Assert.EndsWith("two-factor-required", problem.GetProperty("type").GetString(), StringComparison.Ordinal);
        var mfaToken = problem.GetProperty("mfaToken").GetString()!;
        TestRun.RememberSecret(mfaToken);
        return mfaToken;
    }

    public static Task<HttpResponseMessage> SecondStepAsync(this HttpClient client, string mfaToken, string code) =>
        client.PostJsonAsync(SecondStepPath, new { mfaToken, code });

    /// <summary>Both steps of a login; the tokens' JSON.</summary>
    public static async Task<JsonElement> LoginWithCodeAsync(this HttpClient client, string email, string code)
    {
        var response = await client.SecondStepAsync(await client.StartLoginAsync(email), code);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }
}
