using Microsoft.AspNetCore.Http.HttpResults;

namespace Contoso.Orders.Api.Hosting;

/// <summary>The API's own error answers, each a Problem Details document with a stable title.</summary>
public static class ApiProblems
{
    public static ProblemHttpResult InvalidCredentials() =>
        TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Invalid email or password.");

    /// <summary>The one login failure with a type of its own, so that a client can offer to resend the confirmation.</summary>
    public static ProblemHttpResult EmailNotConfirmed() =>
        TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Confirm your email address before logging in.",
            type: "urn:problem-type:email-not-confirmed");

    /// <summary>
    /// The login throttle's answer: the same for an email that has an account and one that has none, and it does
    /// not say whether the password would have been right.
    /// </summary>
    public static ProblemHttpResult TooManyFailedLogins() =>
        TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many failed logins for this email. Try again later.");

    /// <summary>
    /// The password was right and the account asks for a second factor: the client sends a code with the
    /// <c>mfaToken</c> to <c>/auth/login/two-factor</c>.
    /// </summary>
    public static ProblemHttpResult TwoFactorRequired(TwoFactor.IssuedChallenge challenge) =>
        TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Enter the code from your authenticator app, or a recovery code.",
            type: "urn:problem-type:two-factor-required",
            extensions: new Dictionary<string, object?> { ["mfaToken"] = challenge.MfaToken, ["mfaTokenExpiresIn"] = challenge.ExpiresInSeconds });

    /// <summary>The account's two-factor throttle: too many wrong codes (or passwords given to change a factor) lately.</summary>
    public static ProblemHttpResult TooManyWrongCodes() =>
        TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many wrong codes for this account. Try again later.");

    /// <summary>Token responses must not be stored by browsers or proxies (RFC 6749 5.1).</summary>
    public static void PreventCaching(this HttpResponse response)
    {
        response.Headers.CacheControl = "no-store";
        response.Headers.Pragma = "no-cache";
    }
}
