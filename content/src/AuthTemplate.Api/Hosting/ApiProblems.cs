using Microsoft.AspNetCore.Http.HttpResults;

namespace AuthTemplate.Api.Hosting;

/// <summary>The API's own error answers, each a Problem Details document with a stable title.</summary>
public static class ApiProblems
{
    public static ProblemHttpResult InvalidCredentials() =>
        TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Invalid email or password.");

    public static ProblemHttpResult EmailAlreadyRegistered() =>
        TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "This email is already registered.");

    /// <summary>Token responses must not be stored by browsers or proxies (RFC 6749 5.1).</summary>
    public static void PreventCaching(this HttpResponse response)
    {
        response.Headers.CacheControl = "no-store";
        response.Headers.Pragma = "no-cache";
    }
}
