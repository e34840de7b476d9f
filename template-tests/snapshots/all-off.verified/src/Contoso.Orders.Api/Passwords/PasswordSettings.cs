using Microsoft.Extensions.Options;

namespace Contoso.Orders.Api.Passwords;

/// <summary>Section <c>Passwords</c>: the optional breached-password check.</summary>
public sealed class PasswordSettings
{
    public const string Section = "Passwords";

    public BreachCheckSettings BreachCheck { get; set; } = new();
}

/// <summary>
/// <c>Passwords:BreachCheck</c>: off by default, because it calls a service outside the deployment. Only the first
/// five hex characters of the password's SHA-1 leave the process (k-anonymity).
/// </summary>
public sealed class BreachCheckSettings
{
    public bool Enabled { get; set; }

    /// <summary>The range API, to which the five characters are appended.</summary>
    public Uri RangeUrl { get; set; } = new("https://api.pwnedpasswords.com/range/");

    /// <summary>How long a check may take before the password is accepted without it.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(2);
}

public sealed class PasswordSettingsValidator(IHostEnvironment environment) : IValidateOptions<PasswordSettings>
{
    public ValidateOptionsResult Validate(string? name, PasswordSettings settings)
    {
        var check = settings.BreachCheck;
        var failures = new List<string>();
        if (check.RangeUrl is not { IsAbsoluteUri: true, Scheme: "https" or "http" } || !check.RangeUrl.AbsoluteUri.EndsWith('/'))
        {
            failures.Add("Passwords:BreachCheck:RangeUrl must be an absolute http(s) URL ending with /.");
        }
        else if (check.RangeUrl.Scheme != "https" && !environment.IsDevelopment() && !check.RangeUrl.IsLoopback)
        {
            failures.Add("Passwords:BreachCheck:RangeUrl must use https outside Development, unless it is on this host.");
        }

        if (check.Timeout < TimeSpan.FromMilliseconds(100) || check.Timeout > TimeSpan.FromSeconds(30))
        {
            failures.Add("Passwords:BreachCheck:Timeout must be between 00:00:00.100 and 00:00:30.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
