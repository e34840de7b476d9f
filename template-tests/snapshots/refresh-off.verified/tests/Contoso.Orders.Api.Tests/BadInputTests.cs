using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Contoso.Orders.Api.Tests.Infrastructure;

namespace Contoso.Orders.Api.Tests;

/// <summary>
/// Security checklist point 20, for every endpoint that reads a JSON body (as each feature describes it in its
/// <see cref="IApiFeature"/>), with bodies made of that endpoint's own fields only, so that each bad body reaches the
/// endpoint's own binding, validation and data access instead of being refused earlier for a field it does not know:
/// one field at a time made bad in a body otherwise good, and whole bodies that are not the request at all. None
/// answers 5xx; every refusal is a 4xx Problem Details without internal detail.
/// </summary>
[Collection(BadInputCollection.Name)]
public sealed class BadInputTests(ApiFactory api)
{
    /// <summary>
    /// One good request per endpoint for the cases refused before the endpoint acts (a bad body, a field that is not
    /// text or is missing): they spend nothing of the arrangement, so one serves them all. A case the endpoint took
    /// instead would fail on its own. Text that the endpoint reads gets a fresh arrangement each time.
    /// </summary>
    private static readonly ConcurrentDictionary<string, Lazy<Task<GoodRequest>>> Refused = new();

    /// <summary>What a bad value does to the request, and so what the endpoint must answer.</summary>
    private enum Effect
    {
        /// <summary>Text the JSON reader accepts but the field's rules may not: the answer depends on the field.</summary>
        BadText,

        /// <summary>Not a value of the field's type (or not text at all): a 400.</summary>
        Unreadable,

        /// <summary>No value: a 400 naming the field.</summary>
        Missing,
    }

    /// <summary>Not UTF-16 text: the JSON reader refuses it, as it refuses invalid UTF-8.</summary>
    private const string LoneSurrogate = "a lone surrogate inside";

    /// <summary>One way to spoil a field, as JSON text made from the field's good value.</summary>
    private sealed record BadValue(string Name, Effect Effect, bool ForText, Func<JsonNode, string> Json);

    private static readonly BadValue[] BadValues =
    [
        Inside("NUL inside", @"\u0000"),
        Inside("control characters inside", @"\u0001\u001b\u007f"),
        Inside("100 000 characters inside", new string('a', 100_000)),
        new(LoneSurrogate, Effect.Unreadable, ForText: true, good => TextWith(good.GetValue<string>(), @"\ud800")),
        new("a number", Effect.Unreadable, ForText: true, _ => "12345"),
        new("an array", Effect.Unreadable, ForText: true, good => $"[{good.ToJsonString()}]"),
        new("an object", Effect.Unreadable, ForText: true, good => $$"""{"value": {{good.ToJsonString()}}}"""),
        new("a boolean", Effect.Unreadable, ForText: true, _ => "true"),
        new("null", Effect.Missing, ForText: true, _ => "null"),
        new("a string", Effect.Unreadable, ForText: false, good => JsonSerializer.Serialize(good.ToJsonString())),
        new("a number", Effect.Unreadable, ForText: false, _ => "1"),
        new("an array", Effect.Unreadable, ForText: false, good => $"[{good.ToJsonString()}]"),
        new("an object", Effect.Unreadable, ForText: false, good => $$"""{"value": {{good.ToJsonString()}}}"""),
        new("null", Effect.Missing, ForText: false, _ => "null"),
    ];

    /// <summary>A whole body that is not the request, built from the endpoint's good body.</summary>
    private sealed record BadBody(string Name, Func<GoodRequest, byte[]> Content, string? ContentType, HttpStatusCode Expected);

    private static readonly BadBody[] BadBodies =
    [
        Json("malformed JSON", good => Text(good)[..^1] + ","),
        Json("an empty body", _ => ""),
        Json("JSON null", _ => "null"),
        Json("an array", good => $"[{Text(good)}]"),
        Json("a string", good => JsonSerializer.Serialize(Text(good))),
        Json("nulls everywhere", good => Text(good, good.Body.Select(field => (field.Key, "null")).ToArray())),
        Json("an unknown field", good => Text(good)[..^1] + """, "unexpected": true}"""),
        Json("a duplicated field", good => Text(good)[..^1] + $", {Member(good.Body.First().Key, good.Body.First().Value!.ToJsonString())}}}"),
        // The bytes C3 28 are not UTF-8: the body goes as Latin-1, its only non-ASCII character becoming C3. They go in
        // the first field's value (a string, whatever the field's type: invalid UTF-8 can only be in a string).
        new("invalid UTF-8", good => Encoding.Latin1.GetBytes(Text(good, (good.Body.First().Key, TextWith(good.Body.First().Value!.ToString(), "\u00C3(")))),
            "application/json", HttpStatusCode.BadRequest),
        // Blank space is JSON too: the body stays good but for its size.
        Json("a body over 1 MiB", good => Text(good)[..^1] + new string(' ', 1_100_000) + "}", HttpStatusCode.RequestEntityTooLarge),
        new("plain text", good => Encoding.UTF8.GetBytes(Text(good)), "text/plain", HttpStatusCode.UnsupportedMediaType),
        new("XML", good => Encoding.UTF8.GetBytes($"<request>{string.Concat(good.Body.Select(field => $"<{field.Key}>{field.Value}</{field.Key}>"))}</request>"),
            "application/xml", HttpStatusCode.UnsupportedMediaType),
        new("a form", good => Encoding.UTF8.GetBytes(string.Join('&', good.Body.Select(field => $"{field.Key}={Uri.EscapeDataString(field.Value!.ToString())}"))),
            "application/x-www-form-urlencoded", HttpStatusCode.UnsupportedMediaType),
        new("no content type", good => Encoding.UTF8.GetBytes(Text(good)), null, HttpStatusCode.UnsupportedMediaType),
    ];

    public static TheoryData<string> BodyEndpoints() => new(ApiFeatures.WithBody.Select(endpoint => endpoint.Name));

    public static TheoryData<string, string, string> BadFieldCases()
    {
        var cases = new TheoryData<string, string, string>();
        foreach (var endpoint in ApiFeatures.WithBody)
        {
            foreach (var field in endpoint.Body!.Fields)
            {
                foreach (var bad in BadValues.Where(bad => bad.ForText == field.IsText))
                {
                    cases.Add(endpoint.Name, field.Name, bad.Name);
                }
            }
        }

        return cases;
    }

    public static TheoryData<string, string> BadBodyCases()
    {
        var cases = new TheoryData<string, string>();
        foreach (var endpoint in ApiFeatures.WithBody)
        {
            foreach (var bad in BadBodies)
            {
                cases.Add(endpoint.Name, bad.Name);
            }
        }

        return cases;
    }

    [Fact]
    public async Task Every_body_endpoint_of_the_openapi_document_is_covered_with_exactly_its_own_fields()
    {
        using var client = api.CreateClient();
        var document = await client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var schemas = document.GetProperty("components").GetProperty("schemas");

        var documented = new List<string>();
        foreach (var path in document.GetProperty("paths").EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject().Where(operation => operation.Value.TryGetProperty("requestBody", out _)))
            {
                var schemaName = operation.Value.GetProperty("requestBody").GetProperty("content").GetProperty("application/json")
                    .GetProperty("schema").GetProperty("$ref").GetString()!.Split('/')[^1];
                var fields = schemas.GetProperty(schemaName).GetProperty("properties").EnumerateObject()
                    .Select(field => $"{field.Name}: {TypeOf(field.Value, schemas)}");
                documented.Add($"{operation.Name.ToUpperInvariant()} {path.Name} {{{string.Join(", ", fields.Order())}}}");
            }
        }

        var covered = ApiFeatures.WithBody.Select(endpoint =>
            $"{endpoint.Name} {{{string.Join(", ", endpoint.Body!.Fields.Select(field => $"{field.Name}: {field.JsonType}").Order())}}}");
        Assert.Equal(documented.Order(), covered.Order());
    }

    [Theory]
    [MemberData(nameof(BodyEndpoints))]
    public async Task The_good_body_of_each_endpoint_succeeds(string endpoint)
    {
        using var client = api.CreateClient();
        var good = await ApiFeatures.Named(endpoint).Body!.ArrangeAsync(api, client);

        var response = await SendAsync(client, endpoint, good, Encoding.UTF8.GetBytes(Text(good)), "application/json");

        Assert.Equal(good.Success, response.StatusCode);
    }

    [Theory]
    [MemberData(nameof(BadFieldCases))]
    public async Task A_body_good_but_for_one_field_is_refused_or_taken_by_the_endpoint_never_a_5xx(string endpoint, string field, string badValue)
    {
        using var client = api.CreateClient();
        var described = ApiFeatures.Named(endpoint);
        var bodyField = described.Body!.Fields.Single(f => f.Name == field);
        var bad = BadValues.Single(b => b.Name == badValue && b.ForText == bodyField.IsText);
        var good = bad.Effect == Effect.BadText ? await described.Body.ArrangeAsync(api, client) : await ArrangedForRefusalAsync(endpoint);

        var response = await SendAsync(client, endpoint, good, Encoding.UTF8.GetBytes(Text(good, (field, bad.Json(good.Body[field]!)))), "application/json");

        var text = await AssertNoInternalDetailAsync(response);
        switch (bad.Effect, bodyField.Kind)
        {
            case (Effect.Unreadable, _):
                await response.AssertProblemAsync(HttpStatusCode.BadRequest);
                break;
            case (Effect.Missing, _):
            case (Effect.BadText, FieldKind.Checked):
                AssertNamesField(await response.AssertProblemAsync(HttpStatusCode.BadRequest), field);
                break;
            case (Effect.BadText, FieldKind.Free) when response.StatusCode != good.Success:
                AssertNamesField(await response.AssertProblemAsync(HttpStatusCode.BadRequest), field);
                break;
            case (Effect.BadText, FieldKind.LookedUp):
                // Text that matches nothing is answered like any other value that matches nothing: the same status
                // and the same body (a login with a malformed email, as one with a wrong password).
                var wrong = await SendAsync(client, endpoint, good, Encoding.UTF8.GetBytes(Text(good, (field, JsonSerializer.Serialize(bodyField.WrongValue)))), "application/json");
                Assert.Equal(wrong.StatusCode, response.StatusCode);
                Assert.Equal(await wrong.Content.ReadAsStringAsync(), text);
                break;
        }
    }

    [Theory]
    [MemberData(nameof(BadBodyCases))]
    public async Task A_bad_body_answers_its_4xx_problem_without_internal_detail(string endpoint, string badBody)
    {
        using var client = api.CreateClient();
        var bad = BadBodies.Single(b => b.Name == badBody);
        var good = await ArrangedForRefusalAsync(endpoint);

        var response = await SendAsync(client, endpoint, good, bad.Content(good), bad.ContentType);

        await AssertNoInternalDetailAsync(response);
        var problem = await response.AssertProblemAsync(bad.Expected);
        if (badBody == "nulls everywhere")
        {
            foreach (var field in good.Body)
            {
                AssertNamesField(problem, field.Key);
            }
        }
    }

    /// <summary>A property's JSON type; a property that refers to another schema (or to one of several, when it may be null) has that one's.</summary>
    private static string TypeOf(JsonElement property, JsonElement schemas)
    {
        // A nullable object is written as oneOf a null and a reference to its schema; a nullable scalar as a type
        // array with "null" in it.
        if (property.TryGetProperty("oneOf", out var choices))
        {
            var reference = choices.EnumerateArray().Single(choice => choice.TryGetProperty("$ref", out _)).GetProperty("$ref").GetString()!;
            return TypeOf(schemas.GetProperty(reference.Split('/')[^1]), schemas);
        }

        var type = property.GetProperty("type");
        return type.ValueKind == JsonValueKind.String
            ? type.GetString()!
            : string.Join('|', type.EnumerateArray().Select(t => t.GetString()).Where(t => t != "null"));
    }

    private Task<GoodRequest> ArrangedForRefusalAsync(string endpoint) =>
        Refused.GetOrAdd(endpoint, _ => new Lazy<Task<GoodRequest>>(() => ApiFeatures.Named(endpoint).Body!.ArrangeAsync(api, api.CreateClient()))).Value;

    private static BadValue Inside(string name, string jsonText) => new(name, Effect.BadText, ForText: true, good => TextWith(good.GetValue<string>(), jsonText));

    private static BadBody Json(string name, Func<GoodRequest, string> body, HttpStatusCode expected = HttpStatusCode.BadRequest) =>
        new(name, good => Encoding.UTF8.GetBytes(body(good)), "application/json", expected);

    /// <summary>A JSON string: <paramref name="good"/> with <paramref name="jsonText"/> (as JSON writes it, escapes and all) in its middle.</summary>
    private static string TextWith(string good, string jsonText)
    {
        var middle = good.Length / 2;
        return $"\"{JsonEncodedText.Encode(good[..middle])}{jsonText}{JsonEncodedText.Encode(good[middle..])}\"";
    }

    /// <summary>The good body as JSON text, with some fields' values replaced by the given JSON text.</summary>
    private static string Text(GoodRequest good, params (string Field, string Json)[] replaced) =>
        "{" + string.Join(", ", good.Body.Select(field =>
            Member(field.Key, replaced.Where(r => r.Field == field.Key).Select(r => r.Json).DefaultIfEmpty(field.Value!.ToJsonString()).First()))) + "}";

    private static string Member(string name, string json) => $"{JsonSerializer.Serialize(name)}: {json}";

    private static Task<HttpResponseMessage> SendAsync(HttpClient client, string endpoint, GoodRequest good, byte[] content, string? contentType)
    {
        var request = new HttpRequestMessage(new HttpMethod(endpoint.Split(' ')[0]), good.Path) { Content = new ByteArrayContent(content) };
        if (contentType is not null)
        {
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType) { CharSet = "utf-8" };
        }

        if (good.Token is not null)
        {
            request.WithBearer(good.Token);
        }

        return client.SendAsync(request);
    }

    /// <summary>Whatever the answer, no 5xx, and nothing of the server's insides or of a long value sent back.</summary>
    private static async Task<string> AssertNoInternalDetailAsync(HttpResponseMessage response)
    {
        Assert.True((int)response.StatusCode < 500, $"Answered {(int)response.StatusCode}.");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(text.Length < 2_000, $"The answer is {text.Length} characters long.");
        foreach (var internalDetail in new[] { "Exception", "   at ", "Npgsql", "System.", "Contoso.Orders.", "SELECT ", "\\u0000" })
        {
            Assert.DoesNotContain(internalDetail, text, StringComparison.Ordinal);
        }

        return text;
    }

    private static void AssertNamesField(JsonElement problem, string field) =>
        Assert.True(problem.TryGetProperty("errors", out var errors) && errors.TryGetProperty(field, out _), $"The problem names {field}: {problem}");
}
