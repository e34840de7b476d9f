using System.Net;
using System.Security.Cryptography;
using System.Text;
using Contoso.Orders.Api.Email;
using Contoso.Orders.Api.Passwords;
using Contoso.Orders.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace Contoso.Orders.Api.Tests;

/// <summary>
/// Common and easily guessed passwords are refused wherever a password is set (OWASP ASVS 6.2.4, NIST SP 800-63B):
/// registration, reset and change. Security checklist point 40.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class PasswordPolicyTests(ApiFactory api, ITestOutputHelper output)
{
    /// <summary>Not in any list, and no part of an address or of the product's name.</summary>
    private const string Passphrase = "lantern orbit quietly 47 marmalade";

    private const string ResetPage = "https://app.example.com/reset-password";

    private readonly HttpClient _client = api.CreateClient();

    /// <summary>Listed passwords, one in other letter case than the list's.</summary>
    public static TheoryData<string> Listed => ["password1", "12345678", "qwertyuiop", "iloveyou1", "QwertyUIOP"];

    [Fact]
    public void The_list_holds_the_100000_most_common_passwords_that_fit_the_length_rules_in_about_a_megabyte()
    {
        var list = CommonPasswords.List;
        output.WriteLine($"{list.Count} passwords in {list.SizeInBytes / 1024.0:F0} KiB.");

        Assert.True(list.Count >= 100_000, $"Only {list.Count} passwords.");
        Assert.True(list.SizeInBytes < 1_200_000, $"The list takes {list.SizeInBytes} bytes.");
        Assert.True(list.Contains("PASSWORD1"));
        Assert.False(list.Contains(Passphrase));
        // The additions file is read too: a list made of its lines finds them, and one without does not.
        Assert.True(CommonPasswords.From(["Contoso-Welcome-1"]).Contains("contoso-welcome-1"));
        Assert.False(CommonPasswords.From(["Contoso-Welcome-1"]).Contains("contoso-welcome-2"));
    }

    /// <summary>
    /// The list is read as bytes at start-up: every line of the embedded file, read here as text (the non-ASCII lines
    /// too), and in another letter case, is in it, and it holds nothing else.
    /// </summary>
    [Fact]
    public void Every_password_of_the_embedded_list_read_as_text_is_in_the_list_read_as_bytes()
    {
        using var resource = typeof(CommonPasswords).Assembly.GetManifestResourceStream("Passwords.common-passwords.txt.gz")!;
        using var reader = new StreamReader(new System.IO.Compression.GZipStream(resource, System.IO.Compression.CompressionMode.Decompress));
        var lines = new List<string>();
        while (reader.ReadLine() is { } line)
        {
            lines.Add(line);
        }

        Assert.Contains(lines, line => !System.Text.Ascii.IsValid(line));
        Assert.All(lines, line => Assert.True(CommonPasswords.List.Contains(line.ToUpperInvariant()), line));
        Assert.Equal(CommonPasswords.From(lines).Count, CommonPasswords.List.Count - CommonPasswords.From(BlockedOnly()).Count);
    }

    private static IEnumerable<string> BlockedOnly()
    {
        using var resource = typeof(CommonPasswords).Assembly.GetManifestResourceStream("Passwords.blocked-passwords.txt")!;
        using var reader = new StreamReader(resource);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0 && !line.StartsWith('#'))
            {
                yield return line;
            }
        }
    }

    [Theory]
    [MemberData(nameof(Listed))]
    public async Task Registration_refuses_a_listed_password_and_creates_no_account(string password)
    {
        var email = ApiClient.NewEmail("listed");

        var response = await _client.RegisterAsync(email, password);

        await AssertRefusedAsync(response, "password", "most commonly used", password);
        Assert.Equal(0L, await api.Database.ScalarAsync<long>($"SELECT count(*) FROM users WHERE normalized_email = '{email}'"));
    }

    [Theory]
    [MemberData(nameof(Listed))]
    public async Task A_password_change_refuses_a_listed_password_and_keeps_the_old_one(string password)
    {
        var (email, token) = await NewAccountAsync();

        var response = await _client.ChangePasswordAsync(token, ApiClient.Password, password);

        await AssertRefusedAsync(response, "newPassword", "most commonly used", password);
        Assert.Equal(HttpStatusCode.OK, (await _client.LoginAsync(email)).StatusCode);
    }

    [Theory]
    [MemberData(nameof(Listed))]
    public async Task A_reset_refuses_a_listed_password_and_its_token_still_works(string password)
    {
        var (email, _) = await NewAccountAsync();
        var token = await ResetTokenAsync(email);

        var refused = await _client.ResetPasswordAsync(token, password);

        await AssertRefusedAsync(refused, "newPassword", "most commonly used", password);
        Assert.Equal(HttpStatusCode.NoContent, (await _client.ResetPasswordAsync(token, Passphrase)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _client.LoginAsync(email, Passphrase)).StatusCode);
    }

    [Fact]
    public async Task A_long_unlisted_passphrase_is_accepted_on_every_path()
    {
        var email = ApiClient.NewEmail("passphrase");
        Assert.Equal(HttpStatusCode.Accepted, (await _client.RegisterAsync(email, Passphrase)).StatusCode);

        var (changed, token) = await NewAccountAsync();
        Assert.Equal(HttpStatusCode.NoContent, (await _client.ChangePasswordAsync(token, ApiClient.Password, Passphrase)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _client.LoginAsync(changed, Passphrase)).StatusCode);
    }

    [Fact]
    public async Task A_password_built_from_the_addresss_local_part_is_refused_on_every_path()
    {
        // Registration: the address is in the same request.
        var email = ApiClient.NewEmail("marguerite");
        var fromAddress = $"{email.Split('@')[0].ToUpperInvariant()} 2024!";
        await AssertRefusedAsync(await _client.RegisterAsync(email, fromAddress), "password", "must not contain the account's email address", fromAddress);

        // Change: the address is the signed-in account's.
        var (account, token) = await NewAccountAsync();
        var fromAccount = $"my {account.Split('@')[0]} key";
        await AssertRefusedAsync(await _client.ChangePasswordAsync(token, ApiClient.Password, fromAccount), "newPassword", "must not contain the account's email address", fromAccount);

        // Reset: only the token tells whose address it is; the refusal leaves the token unspent.
        var resetToken = await ResetTokenAsync(account);
        await AssertRefusedAsync(await _client.ResetPasswordAsync(resetToken, fromAccount), "newPassword", "must not contain the account's email address", fromAccount);
        Assert.Equal(HttpStatusCode.NoContent, (await _client.ResetPasswordAsync(resetToken, Passphrase)).StatusCode);
    }

    [Fact]
    public async Task A_password_that_contains_the_products_name_is_refused()
    {
        var productName = api.Services.GetRequiredService<IOptions<EmailSettings>>().Value.ProductName;
        var password = $"welcome to {productName.ToLowerInvariant()} 1";

        await AssertRefusedAsync(await _client.RegisterAsync(ApiClient.NewEmail("product"), password), "password", "must not contain the product's name", password);
    }

    [Fact]
    public async Task With_the_breach_check_on_a_breached_password_is_refused_and_only_five_characters_of_its_hash_leave()
    {
        const string breached = "a breached but unlisted phrase 93";
        await using var range = await RangeApi.StartAsync(breached, answer: true);
        await using var app = api.WithSettings(range.Settings(timeout: "00:00:30"));
        using var client = app.CreateClient();

        var refused = await client.RegisterAsync(ApiClient.NewEmail("breached"), breached);
        var accepted = await client.RegisterAsync(ApiClient.NewEmail("unbreached"), Passphrase);

        await AssertRefusedAsync(refused, "password", "has appeared in a data breach", breached);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.Equal(2, range.Requests.Count);
        Assert.All(range.Requests, request =>
        {
            Assert.Matches("^/range/[0-9A-F]{5}$", request.Path);
            Assert.Equal("true", request.Padding);
        });
        Assert.Equal(Sha1(breached)[..5], range.Requests[0].Path[^5..]);
    }

    [Fact]
    public async Task A_breach_check_that_gets_no_answer_in_time_lets_the_other_rules_decide_and_says_so()
    {
        await using var range = await RangeApi.StartAsync(Passphrase, answer: false);
        await using var app = api.WithSettings(range.Settings(timeout: "00:00:00.300"));
        using var client = app.CreateClient();

        var accepted = await client.RegisterAsync(ApiClient.NewEmail("fail-open"), Passphrase);
        var listed = await client.RegisterAsync(ApiClient.NewEmail("fail-open"), "password1");

        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        await AssertRefusedAsync(listed, "password", "most commonly used", "password1");
        // The listed password is refused without asking. The passphrase's request may not even reach the server
        // before the client gives up on a busy machine: what is asked is the other tests' business.
        Assert.InRange(range.Requests.Count, 0, 1);
        Assert.Contains("The breached-password check could not be made (no answer within 0.3 s)", api.Logs.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void The_breach_check_settings_are_validated()
    {
        var validator = new PasswordSettingsValidator(new HostEnvironment("Production"));
        string? Failure(BreachCheckSettings check) => validator.Validate(null, new PasswordSettings { BreachCheck = check }).FailureMessage;

        Assert.Null(Failure(new BreachCheckSettings { Enabled = true }));
        Assert.Contains("must use https outside Development", Failure(new BreachCheckSettings { RangeUrl = new Uri("http://pwned.example.com/range/") }));
        Assert.Null(Failure(new BreachCheckSettings { RangeUrl = new Uri("http://127.0.0.1:8080/range/") }));
        Assert.Contains("ending with /", Failure(new BreachCheckSettings { RangeUrl = new Uri("https://api.pwnedpasswords.com/range") }));
        Assert.Contains("Timeout", Failure(new BreachCheckSettings { Timeout = TimeSpan.FromMinutes(5) }));
    }

    private static async Task AssertRefusedAsync(HttpResponseMessage response, string field, string reason, string password)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain(password, body, StringComparison.OrdinalIgnoreCase);
        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        var messages = problem.GetProperty("errors").GetProperty(field).EnumerateArray().Select(message => message.GetString()!).ToList();
        Assert.Contains(messages, message => message.Contains(reason, StringComparison.Ordinal));
    }

    private async Task<(string Email, string AccessToken)> NewAccountAsync()
    {
        var (email, tokens) = await _client.RegisterAndLoginAsync();
        return (email, tokens.GetProperty("accessToken").GetString()!);
    }

    private async Task<string> ResetTokenAsync(string email)
    {
        Assert.Equal(HttpStatusCode.Accepted, (await _client.ForgotPasswordAsync(email)).StatusCode);
        return await api.TokenFromNextLinkToAsync(email, ResetPage);
    }

    private static string Sha1(string password) => Convert.ToHexString(SHA1.HashData(Encoding.UTF8.GetBytes(password)));

    private sealed class HostEnvironment(string name) : Microsoft.Extensions.Hosting.IHostEnvironment
    {
        public string EnvironmentName { get; set; } = name;

        public string ApplicationName { get; set; } = "tests";

        public string ContentRootPath { get; set; } = AppContext.BaseDirectory;

        public Microsoft.Extensions.FileProviders.IFileProvider ContentRootFileProvider { get; set; } = new Microsoft.Extensions.FileProviders.NullFileProvider();
    }

    /// <summary>
    /// A range API on loopback, as Have I Been Pwned serves it: padded lines of <c>SUFFIX:COUNT</c> for a prefix. It
    /// lists one password, or never answers.
    /// </summary>
    private sealed class RangeApi : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private RangeApi(WebApplication app) => _app = app;

        public List<(string Path, string? Padding)> Requests { get; } = [];

        public static async Task<RangeApi> StartAsync(string listedPassword, bool answer)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            var range = new RangeApi(app);
            var hash = Sha1(listedPassword);
            app.MapGet("/range/{prefix}", async (string prefix, HttpRequest request) =>
            {
                lock (range.Requests)
                {
                    range.Requests.Add((request.Path.Value!, request.Headers["Add-Padding"].ToString()));
                }

                if (!answer)
                {
                    await range._release.Task;
                }

                var lines = Enumerable.Range(0, 300).Select(i => $"{Convert.ToHexString(SHA1.HashData(BitConverter.GetBytes(i)))[5..]}:0").ToList();
                if (hash.StartsWith(prefix, StringComparison.Ordinal))
                {
                    lines.Insert(150, $"{hash[5..]}:42");
                }

                return Results.Text(string.Join("\r\n", lines));
            });
            await app.StartAsync();
            return range;
        }

        public Dictionary<string, string?> Settings(string timeout) => new()
        {
            ["Passwords:BreachCheck:Enabled"] = "true",
            ["Passwords:BreachCheck:RangeUrl"] = $"{_app.Urls.Single()}/range/",
            ["Passwords:BreachCheck:Timeout"] = timeout,
        };

        public async ValueTask DisposeAsync()
        {
            _release.TrySetResult();
            await _app.DisposeAsync();
        }
    }
}
