using OtpNet;

namespace Contoso.Orders.Api.TwoFactor;

/// <summary>
/// Authenticator-app codes (TOTP, RFC 6238): HMAC-SHA1, six digits, a 30-second step, a 160-bit secret. These are the
/// parameters every authenticator app supports; an app told anything else often ignores it and shows wrong codes.
/// </summary>
public static class AuthenticatorCodes
{
    public const int SecretBytes = 20;
    public const int Digits = 6;
    public const int StepSeconds = 30;

    /// <summary>A new secret from the operating system's CSPRNG.</summary>
    public static byte[] NewSecret() => KeyGeneration.GenerateRandomKey(SecretBytes);

    /// <summary>The secret as authenticator apps take it typed in: Base32, without padding.</summary>
    public static string Base32(byte[] secret) => Base32Encoding.ToString(secret).TrimEnd('=');

    /// <summary>What an authenticator app reads from a QR code: <c>otpauth://totp/{issuer}:{account}?secret=...&amp;issuer=...</c>.</summary>
    public static string OtpauthUri(byte[] secret, string issuer, string account)
    {
        var label = Uri.EscapeDataString($"{issuer}:{account}");
        return $"otpauth://totp/{label}?secret={Base32(secret)}&issuer={Uri.EscapeDataString(issuer)}&algorithm=SHA1&digits={Digits}&period={StepSeconds}";
    }

    /// <summary>True for text shaped like a code (six digits), which is all that is ever compared.</summary>
    public static bool LooksLikeCode(string code) => code.Length == Digits && code.All(char.IsAsciiDigit);

    /// <summary>
    /// The time step whose code <paramref name="code"/> is, within one step either side of <paramref name="now"/> (a
    /// phone's clock drifts, and a code typed near the end of its step arrives in the next); null when none matches.
    /// Whether the step was used before is the caller's to decide.
    /// </summary>
    public static long? MatchingStep(byte[] secret, string code, DateTimeOffset now)
    {
        if (!LooksLikeCode(code))
        {
            return null;
        }

        var totp = new Totp(secret, StepSeconds, OtpHashMode.Sha1, Digits);
        return totp.VerifyTotp(now.UtcDateTime, code, out var step, new VerificationWindow(previous: 1, future: 1)) ? step : null;
    }
}
