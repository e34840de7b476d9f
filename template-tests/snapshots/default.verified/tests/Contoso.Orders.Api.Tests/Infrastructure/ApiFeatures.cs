using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Contoso.Orders.Api.Tests.Infrastructure;

/// <summary>
/// One feature, as the shared tests need to know it: its endpoints (which exist, who may call them, what body they read
/// and what a good one holds) and the settings its apps need. Each feature's test folder has a class implementing it,
/// so that a variant without the feature has neither its endpoints nor their descriptions, and the shared tests need
/// no per-feature lists or directives.
/// </summary>
public interface IApiFeature
{
    IEnumerable<ApiEndpoint> Endpoints { get; }

    /// <summary>Settings the feature needs in every test app of <paramref name="factory"/>.</summary>
    IEnumerable<KeyValuePair<string, string?>> SettingsFor(ApiFactory factory) => [];

    /// <summary>Completes when the feature's own work after start-up is done in the app of <paramref name="services"/>.</summary>
    Task StartedAsync(IServiceProvider services) => Task.CompletedTask;
}

/// <summary>
/// An endpoint: its path as the OpenAPI document writes it (route parameters without constraints, such as <c>{id}</c>),
/// whether it serves callers without a token, and the JSON body it reads, if any.
/// </summary>
public sealed record ApiEndpoint(string Method, string Path, bool Anonymous, RequestBody? Body = null)
{
    public string Name => $"{Method} {Path}";
}

/// <summary>
/// A JSON request body: its fields, and how to make a request that succeeds (a fresh one for each call, with whatever
/// it needs: an account, a token, a user's id in the path).
/// </summary>
public sealed record RequestBody(IReadOnlyList<BodyField> Fields, Func<ApiFactory, HttpClient, Task<GoodRequest>> ArrangeAsync);

/// <summary>
/// A request that the endpoint answers with <c>Success</c>: the path to call (route parameters filled in), the bearer
/// token to send if the endpoint needs one, and the body.
/// </summary>
public sealed record GoodRequest(string Path, string? Token, JsonObject Body, HttpStatusCode Success)
{
    /// <summary>Sends this request, as JSON, to the endpoint.</summary>
    public Task<HttpResponseMessage> SendAsync(HttpClient client, ApiEndpoint endpoint)
    {
        var request = new HttpRequestMessage(new HttpMethod(endpoint.Method), Path) { Content = JsonContent.Create(Body) };
        return client.SendAsync(Token is null ? request : request.WithBearer(Token));
    }
}

public enum FieldKind
{
    /// <summary>Text the endpoint checks against its rules: text that breaks them is a 400 naming the field.</summary>
    Checked,

    /// <summary>Text taken as it comes (a new password): any text may be accepted; refused, it is a 400 naming the field.</summary>
    Free,

    /// <summary>
    /// Text compared with what is stored (a login's email and password, a token): text that matches nothing
    /// is answered exactly as <see cref="BodyField.WrongValue"/>, a well-formed value that matches nothing either.
    /// </summary>
    LookedUp,

    /// <summary>A JSON boolean.</summary>
    Flag,

    /// <summary>A JSON object the endpoint reads as a whole (a passkey's answer, as the browser made it).</summary>
    Object,
}

public sealed record BodyField(string Name, FieldKind Kind, string? WrongValue = null)
{
    public static BodyField Checked(string name) => new(name, FieldKind.Checked);

    public static BodyField Free(string name) => new(name, FieldKind.Free);

    public static BodyField LookedUp(string name, string wrongValue) => new(name, FieldKind.LookedUp, wrongValue);

    public static BodyField Flag(string name) => new(name, FieldKind.Flag);

    public static BodyField Object(string name) => new(name, FieldKind.Object);

    /// <summary>The type the OpenAPI document gives the field.</summary>
    public string JsonType => Kind switch { FieldKind.Flag => "boolean", FieldKind.Object => "object", _ => "string" };

    /// <summary>Whether the field holds text, so that the bad values of text apply to it.</summary>
    public bool IsText => Kind is not (FieldKind.Flag or FieldKind.Object);
}

/// <summary>Every feature of this variant, and the union of the endpoints they describe.</summary>
public static class ApiFeatures
{
    public static IReadOnlyList<IApiFeature> All { get; } = typeof(IApiFeature).Assembly.GetTypes()
        .Where(type => type is { IsClass: true, IsAbstract: false } && type.IsAssignableTo(typeof(IApiFeature)))
        .Select(type => (IApiFeature)Activator.CreateInstance(type)!)
        .ToList();

    public static IReadOnlyList<ApiEndpoint> Endpoints { get; } = All.SelectMany(feature => feature.Endpoints).ToList();

    public static IEnumerable<ApiEndpoint> WithBody => Endpoints.Where(endpoint => endpoint.Body is not null);

    public static ApiEndpoint Named(string name) => Endpoints.Single(endpoint => endpoint.Name == name);
}
