using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Contoso.Orders.Api.Passwords;

/// <summary>
/// The optional check against passwords known from data breaches, with the Have I Been Pwned range API: the first
/// five hex characters of the password's SHA-1 go out, several hundred suffixes come back, and the match is made
/// here. Responses are padded (<c>Add-Padding</c>), so that their size does not tell the prefix either.
/// The check fails open: when the service is slow or unreachable the password is accepted on the other rules alone,
/// and a warning says so, since a third party's outage must not stop registration.
/// </summary>
public sealed partial class BreachedPasswords(IHttpClientFactory clients, IOptions<PasswordSettings> settings, ILogger<BreachedPasswords> logger)
{
    public const string HttpClientName = "breached-passwords";

    /// <summary>False when the check is off, the password is not listed, or the check could not be made.</summary>
    public async Task<bool> IsBreachedAsync(string password, CancellationToken cancellationToken)
    {
        var check = settings.Value.BreachCheck;
        if (!check.Enabled)
        {
            return false;
        }

        var hash = Convert.ToHexString(SHA1.HashData(Encoding.UTF8.GetBytes(password)));
        var (prefix, suffix) = (hash[..5], hash[5..]);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(check.Timeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(check.RangeUrl, prefix));
            request.Headers.Add("Add-Padding", "true");
            using var response = await clients.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            response.EnsureSuccessStatusCode();
            var body = await response.Content.ReadAsStringAsync(timeout.Token);
            return IsListed(body, suffix);
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested
            && exception is HttpRequestException or OperationCanceledException or FormatException)
        {
            LogCheckFailed(exception is OperationCanceledException ? $"no answer within {check.Timeout.TotalSeconds:0.#} s" : exception.GetType().Name);
            return false;
        }
    }

    /// <summary>Lines of <c>SUFFIX:COUNT</c>; padding lines have a count of 0.</summary>
    private static bool IsListed(string body, string suffix)
    {
        foreach (var line in body.AsSpan().EnumerateLines())
        {
            var colon = line.IndexOf(':');
            if (colon == 35 && line[..colon].Equals(suffix, StringComparison.OrdinalIgnoreCase))
            {
                return int.Parse(line[(colon + 1)..].Trim(), NumberStyles.None, CultureInfo.InvariantCulture) > 0;
            }
        }

        return false;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The breached-password check could not be made ({Reason}); the password was judged by the other rules alone")]
    private partial void LogCheckFailed(string reason);
}
