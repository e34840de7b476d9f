// Logins with two-factor sign-in, one request at a time: the password step (403 two-factor-required with an
// mfaToken) and the second step (the mfaToken and a code from the authenticator, computed here: RFC 6238, HMAC-SHA1,
// six digits, a 30 s step).
// Usage: two-factor-login API_BASE_URL ACCOUNTS [MAX_LOGINS]
// Seeds ACCOUNTS accounts with two-factor sign-in on (register, login, setup, enable; two at a time), then logs in
// round-robin over them on one kept-alive connection. The API accepts each time step once per account, only a step
// later than the last it accepted and within one step of now: every login uses the next step that is still usable for
// its account, so that no code is sent twice. The run stops when no account has a usable step left (it never waits for
// the clock), or after MAX_LOGINS measured logins (ACCOUNTS x 5 by default). The first logins warm up and are not
// counted: ten, or half the accounts when there are fewer than twenty (each account is sure of one login only, the
// step after the one that enabled it, so a short run with a few accounts still measures some). Prints one line of JSON: counts, p50/p90/p99 in ms of each step and of the whole login, and the second
// step's requests per second alone. Any other answer than 403 then 200 ends the run with exit code 1.
using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

const int stepSeconds = 30;
const int maxWarmUpLogins = 10;

try
{
    var baseUrl = new Uri(args[0].TrimEnd('/') + "/");
    var accountCount = int.Parse(args[1], CultureInfo.InvariantCulture);
    var warmUpLogins = Math.Min(maxWarmUpLogins, accountCount / 2);
    var maxLogins = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : accountCount * 5;
    if (accountCount < 1 || maxLogins < 1)
    {
        throw new Failure("ACCOUNTS and MAX_LOGINS must be positive.");
    }

    // The code computation against RFC 6238's own vector (SHA-1, T = 59 s: 94287082, of which the last six digits).
    if (Totp.Code("12345678901234567890"u8.ToArray(), 59 / stepSeconds) != "287082")
    {
        throw new Failure("the TOTP computation does not match RFC 6238's test vector.");
    }

    var run = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));

    // --- Seeding, two at a time ---------------------------------------------------------------------------------------
    var seeding = Stopwatch.StartNew();
    var accounts = new Account[accountCount];
    using (var seeder = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 2 }) { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(60) })
    {
        await Parallel.ForEachAsync(Enumerable.Range(0, accountCount), new ParallelOptions { MaxDegreeOfParallelism = 2 }, async (i, cancellationToken) =>
        {
            accounts[i] = await SeedAsync(seeder, $"bench-2fa-{run}-{i}@example.com", cancellationToken);
        });
    }

    var seedSeconds = seeding.Elapsed.TotalSeconds;

    // --- Logins on one connection -------------------------------------------------------------------------------------
    using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5) })
    {
        BaseAddress = baseUrl,
        Timeout = TimeSpan.FromSeconds(60),
    };
    var passwordStep = new List<double>();
    var secondStep = new List<double>();
    var bothSteps = new List<double>();
    var attempted = 0;
    var next = 0;
    var stopped = "max_logins";
    while (passwordStep.Count < maxLogins)
    {
        // The next account in turn that still has a usable step; none left means the run is over.
        Account? account = null;
        for (var tried = 0; tried < accounts.Length && account is null; tried++)
        {
            var candidate = accounts[next];
            next = (next + 1) % accounts.Length;
            if (Totp.UsableStep(candidate.LastStep) is not null)
            {
                account = candidate;
            }
        }

        if (account is null)
        {
            stopped = "out_of_usable_steps";
            break;
        }

        var whole = Stopwatch.StartNew();
        var (passwordStatus, passwordBody) = await PostAsync(client, "api/v1/auth/login", new { email = account.Email, password = account.Password });
        var passwordMs = whole.Elapsed.TotalMilliseconds;
        var mfaToken = Expect403TwoFactorRequired(passwordStatus, passwordBody, account.Email);

        // Chosen after the password step: time only moves forward, so a step usable before is still usable (or a later one is).
        var step = Totp.UsableStep(account.LastStep) ?? throw new Failure($"no usable step left for {account.Email} after its password step.");
        var code = Totp.Code(account.Secret, step);
        var second = Stopwatch.StartNew();
        var (codeStatus, codeBody) = await PostAsync(client, "api/v1/auth/login/two-factor", new { mfaToken, code });
        var secondMs = second.Elapsed.TotalMilliseconds;
        var wholeMs = whole.Elapsed.TotalMilliseconds;
        Expect(codeStatus, HttpStatusCode.OK, codeBody, $"the second step for {account.Email} (step {step})");
        RequireString(codeBody, "accessToken", "the second step's answer");
        account.LastStep = step;

        attempted++;
        if (attempted > warmUpLogins)
        {
            passwordStep.Add(passwordMs);
            secondStep.Add(secondMs);
            bothSteps.Add(wholeMs);
        }
    }

    if (secondStep.Count == 0)
    {
        throw new Failure($"no login was measured: {attempted} logins in all, of which {Math.Min(attempted, warmUpLogins)} warmed up; seed more accounts.");
    }

    var result = new JsonObject
    {
        ["accounts"] = accountCount,
        ["seed_s"] = Math.Round(seedSeconds, 1),
        ["warm_up"] = Math.Min(attempted, warmUpLogins),
        ["logins"] = secondStep.Count,
        ["stopped"] = stopped,
        ["password_step"] = Summary(passwordStep),
        ["second_step"] = Summary(secondStep),
        ["both_steps"] = Summary(bothSteps),
    };
    result["second_step"]!["rps"] = Math.Round(secondStep.Count / (secondStep.Sum() / 1000), 1);
    Console.WriteLine(result.ToJsonString());
    return 0;
}
catch (Failure failure)
{
    Console.Error.WriteLine($"two-factor-login: {failure.Message}");
    return 1;
}
catch (Exception exception)
{
    Console.Error.WriteLine($"two-factor-login: {exception}");
    return 1;
}

// Registers, logs in, sets up an authenticator and enables it with the current step's code.
static async Task<Account> SeedAsync(HttpClient client, string email, CancellationToken cancellationToken)
{
    var password = "bench-2fa-" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(15)).Replace('+', '-').Replace('/', '_');
    var credentials = new { email, password };

    var (status, body) = await PostAsync(client, "api/v1/auth/register", credentials, cancellationToken: cancellationToken);
    Expect(status, HttpStatusCode.Accepted, body, $"registering {email}");

    (status, body) = await PostAsync(client, "api/v1/auth/login", credentials, cancellationToken: cancellationToken);
    Expect(status, HttpStatusCode.OK, body, $"the password login of {email}");
    var accessToken = RequireString(body, "accessToken", "the login's answer");

    (status, body) = await PostAsync(client, "api/v1/users/me/two-factor/setup", new { password }, accessToken, cancellationToken);
    Expect(status, HttpStatusCode.OK, body, $"setting up an authenticator for {email}");
    var secret = Base32.Decode(RequireString(body, "sharedKey", "the setup's answer"));

    var step = Totp.StepAt(DateTimeOffset.UtcNow);
    (status, body) = await PostAsync(client, "api/v1/users/me/two-factor/enable", new { code = Totp.Code(secret, step) }, accessToken, cancellationToken);
    Expect(status, HttpStatusCode.OK, body, $"enabling two-factor sign-in for {email}");
    var recoveryCodes = JsonNode.Parse(body)?["recoveryCodes"]?.AsArray().Count ?? 0;
    if (recoveryCodes != 10)
    {
        throw new Failure($"enabling two-factor sign-in for {email} answered {recoveryCodes} recovery codes, not 10: {body}");
    }

    return new Account(email, password, secret) { LastStep = step };
}

static async Task<(HttpStatusCode Status, string Body)> PostAsync(
    HttpClient client, string path, object body, string? bearer = null, CancellationToken cancellationToken = default)
{
    using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
    if (bearer is not null)
    {
        request.Headers.Authorization = new("Bearer", bearer);
    }

    using var response = await client.SendAsync(request, cancellationToken);
    return (response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
}

static void Expect(HttpStatusCode status, HttpStatusCode expected, string body, string what)
{
    if (status != expected)
    {
        throw new Failure($"{what} answered {(int)status}, not {(int)expected}: {body}");
    }
}

static string Expect403TwoFactorRequired(HttpStatusCode status, string body, string email)
{
    Expect(status, HttpStatusCode.Forbidden, body, $"the password step for {email}");
    var type = JsonNode.Parse(body)?["type"]?.GetValue<string>() ?? "";
    if (!type.EndsWith("two-factor-required", StringComparison.Ordinal))
    {
        throw new Failure($"the password step for {email} answered 403 of type '{type}', not two-factor-required: {body}");
    }

    return RequireString(body, "mfaToken", "the password step's answer");
}

static string RequireString(string body, string name, string what)
{
    try
    {
        return JsonNode.Parse(body)?[name]?.GetValue<string>() is { Length: > 0 } value
            ? value
            : throw new Failure($"{what} has no {name}: {body}");
    }
    catch (JsonException)
    {
        throw new Failure($"{what} is not JSON: {body}");
    }
}

// Nearest-rank percentiles, in milliseconds.
static JsonObject Summary(List<double> times)
{
    var sorted = times.Order().ToArray();
    double Percentile(double p) => sorted[Math.Max(0, (int)Math.Ceiling(p / 100 * sorted.Length) - 1)];
    return new JsonObject
    {
        ["count"] = sorted.Length,
        ["p50_ms"] = Math.Round(Percentile(50), 3),
        ["p90_ms"] = Math.Round(Percentile(90), 3),
        ["p99_ms"] = Math.Round(Percentile(99), 3),
    };
}

sealed record Account(string Email, string Password, byte[] Secret)
{
    /// <summary>The last time step the API accepted for this account (the one enabling used, at first).</summary>
    public long LastStep { get; set; }
}

sealed class Failure(string message) : Exception(message);

static class Totp
{
    private const int StepSeconds = 30;

    // A code of the step before the current one is used only this long before the step ends: it must still be within
    // one step of the API's clock when the request arrives.
    private const int MarginMs = 3000;

    public static long StepAt(DateTimeOffset time) => time.ToUnixTimeSeconds() / StepSeconds;

    /// <summary>
    /// The earliest step later than <paramref name="lastStep"/> that the API accepts now (one step either side of its
    /// clock, the same as this machine's), or null when every step it would accept has been spent.
    /// </summary>
    public static long? UsableStep(long lastStep)
    {
        var nowMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var now = nowMs / 1000 / StepSeconds;
        var leftInStepMs = (now + 1) * StepSeconds * 1000 - nowMs;
        var earliest = leftInStepMs > MarginMs ? now - 1 : now;
        var step = Math.Max(lastStep + 1, earliest);
        return step <= now + 1 ? step : null;
    }

    /// <summary>RFC 4226's HOTP of the step's counter: HMAC-SHA1, dynamic truncation, six digits.</summary>
    public static string Code(byte[] secret, long step)
    {
        Span<byte> counter = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(counter, step);
        Span<byte> mac = stackalloc byte[HMACSHA1.HashSizeInBytes];
        HMACSHA1.HashData(secret, counter, mac);
        var offset = mac[^1] & 0x0f;
        var value = BinaryPrimitives.ReadInt32BigEndian(mac[offset..]) & 0x7fffffff;
        return (value % 1_000_000).ToString("D6", CultureInfo.InvariantCulture);
    }
}

static class Base32
{
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    /// <summary>RFC 4648 Base32, with or without padding, in either letter case.</summary>
    public static byte[] Decode(string text)
    {
        var bytes = new List<byte>();
        int buffer = 0, bits = 0;
        foreach (var c in text.TrimEnd('='))
        {
            var value = Alphabet.IndexOf(char.ToUpperInvariant(c));
            if (value < 0)
            {
                throw new Failure($"'{text}' is not Base32.");
            }

            buffer = (buffer << 5) | value;
            bits += 5;
            if (bits >= 8)
            {
                bits -= 8;
                bytes.Add((byte)(buffer >> bits));
                buffer &= (1 << bits) - 1;
            }
        }

        return [.. bytes];
    }
}
