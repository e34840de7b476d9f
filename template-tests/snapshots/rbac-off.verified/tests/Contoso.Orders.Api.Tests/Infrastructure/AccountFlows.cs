using System.Net.Http.Json;
using System.Text.RegularExpressions;
using MimeKit;

namespace Contoso.Orders.Api.Tests.Infrastructure;

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

    /// <summary>The page of the links in confirmation emails, as the test apps configure it (see <see cref="ApiFactory.EmailSettings"/>).</summary>
    public static string ConfirmPage => ApiFactory.EmailSettings["Email:ConfirmEmailUrl"]!;

    /// <summary>The page of the links in reset emails.</summary>
    public static string ResetPage => ApiFactory.EmailSettings["Email:ResetPasswordUrl"]!;

    /// <summary>The token of the next email to the address, once it can be used (see <see cref="CommittedAsync"/>).</summary>
    public static async Task<string> TokenFromNextMessageAsync(this ApiFactory api, string address, string page) =>
        await api.Database.CommittedAsync(TokenIn(await api.Mail.NextMessageToAsync(address), page));

    /// <summary>The token of the next email to the address that links to the page, passing over emails before it.</summary>
    public static async Task<string> TokenFromNextLinkToAsync(this ApiFactory api, string address, string page) =>
        await api.Database.CommittedAsync(TokenIn(await api.Mail.NextMessageLinkingToAsync(address, page), page));

    /// <summary>The token of the next email to the address that links to the page, once it can be used.</summary>
    public static async Task<string> TokenFromNextLinkToAsync(this TestMailServer mail, TestDatabase database, string address, string page) =>
        await database.CommittedAsync(TokenIn(await mail.NextMessageLinkingToAsync(address, page), page));

    /// <summary>
    /// The next email to the address that links to the page, passing over emails before it (such as the confirmation
    /// a registration sends, which may go out after the test has moved on).
    /// </summary>
    public static async Task<MimeMessage> NextMessageLinkingToAsync(this TestMailServer mail, string address, string page)
    {
        while (true)
        {
            var message = await mail.NextMessageToAsync(address);
            if (message.TextBody?.Contains($"{page}#token=", StringComparison.Ordinal) == true)
            {
                return message;
            }
        }
    }

    /// <summary>
    /// Waits until the token's row is committed. The sender commits it only once the mail server has accepted the
    /// email (so that a failed send leaves no live token behind): a person never follows a link within those few
    /// milliseconds, but a test can.
    /// </summary>
    public static async Task<string> CommittedAsync(this TestDatabase database, string token)
    {
        var hashHex = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token)));
        await Patience.UntilAsync(
            async () => await database.ScalarAsync<long>($"SELECT count(*) FROM account_tokens WHERE token_hash = decode('{hashHex}', 'hex')") > 0,
            "the emailed token's row to be committed");
        return token;
    }

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
