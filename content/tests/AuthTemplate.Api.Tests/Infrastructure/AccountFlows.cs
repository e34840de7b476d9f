using System.Net.Http.Json;
using System.Text.RegularExpressions;
using MimeKit;

namespace AuthTemplate.Api.Tests.Infrastructure;

/// <summary>The account email flows' requests, and the token read from an email the way a person would.</summary>
public static partial class AccountFlows
{
    public static Task<HttpResponseMessage> ConfirmEmailAsync(this HttpClient client, string token) =>
        client.PostAsJsonAsync("/api/v1/auth/confirm-email", new { token });

    public static Task<HttpResponseMessage> ResendConfirmationAsync(this HttpClient client, string email) =>
        client.PostAsJsonAsync("/api/v1/auth/resend-confirmation", new { email });

    public static Task<HttpResponseMessage> ForgotPasswordAsync(this HttpClient client, string email) =>
        client.PostAsJsonAsync("/api/v1/auth/forgot-password", new { email });

    public static Task<HttpResponseMessage> ResetPasswordAsync(this HttpClient client, string token, string newPassword) =>
        client.PostAsJsonAsync("/api/v1/auth/reset-password", new { token, newPassword });

    public static Task<HttpResponseMessage> ChangeEmailAsync(this HttpClient client, string accessToken, string newEmail, string password = ApiClient.Password) =>
        client.SendAsync(new HttpRequestMessage(HttpMethod.Put, "/api/v1/users/me/email")
        {
            Content = JsonContent.Create(new { newEmail, password }),
        }.WithBearer(accessToken));

    /// <summary>The token of the email's link (from the fragment), checked to be shown as text in the email too.</summary>
    public static string TokenIn(MimeMessage message, string pageUrl)
    {
        var text = message.TextBody ?? "";
        var link = Link().Match(text);
        Assert.True(link.Success, $"The email \"{message.Subject}\" has no link with a token.");
        Assert.Equal(pageUrl, link.Groups["page"].Value);
        var token = link.Groups["token"].Value;
        Assert.Contains(token, text.Replace(link.Value, "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Contains(token, message.HtmlBody ?? "", StringComparison.Ordinal);
        return token;
    }

    [GeneratedRegex(@"(?<page>https?://[^\s#?]+)#token=(?<token>[A-Za-z0-9_-]+)")]
    private static partial Regex Link();
}
