using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;

namespace AuthTemplate.TemplateTests;

/// <summary>
/// Checks .template.config/ the way the template authoring validation would: schema, required fields, host files,
/// option names, symbol documentation and source modifiers. No packing, no PostgreSQL.
/// </summary>
public sealed class TemplateConfigTests
{
    static readonly JsonDocumentOptions LenientJson = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    static readonly string[] RequiredFields =
        ["$schema", "identity", "groupIdentity", "name", "shortName", "author", "description", "classifications", "tags.language", "tags.type", "sources"];

    static readonly HashSet<string> ReservedOptionNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "name", "output", "help", "h", "n", "o", "dry-run", "force", "no-update-check", "project", "language", "lang",
        "type", "diagnostics", "d", "verbosity", "v", "install", "uninstall",
    };

    static readonly Lazy<JsonObject> TemplateJson = new(() => LoadObject("template.json"));
    static readonly Lazy<JsonObject> CliHostJson = new(() => LoadObject("dotnetcli.host.json"));
    static readonly Lazy<JsonObject> IdeHostJson = new(() => LoadObject("ide.host.json"));

    static JsonObject Symbols => TemplateJson.Value["symbols"] as JsonObject ?? [];

    [Fact]
    public void Config_files_are_json_objects()
    {
        Assert.NotNull(TemplateJson.Value);
        Assert.NotNull(CliHostJson.Value);
        Assert.NotNull(IdeHostJson.Value);
    }

    [Fact]
    public void Template_json_has_required_fields()
    {
        var missing = RequiredFields.Where(field => IsEmpty(Select(TemplateJson.Value, field))).ToList();

        Assert.True(missing.Count == 0, $"template.json lacks (or has empty): {string.Join(", ", missing)}");
    }

    [Fact]
    public void Template_json_matches_the_schema()
    {
        var schema = JsonSchema.FromText(File.ReadAllText(TemplateRepository.SchemaFile));
        using var document = JsonDocument.Parse(ReadConfigFile("template.json"), LenientJson);

        var results = schema.Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.Hierarchical });

        var errors = SchemaErrors(results).Distinct().ToList();
        Assert.True(results.IsValid,
            $"template.json does not match template-tests/schemas/template.schema.json ({errors.Count} errors):\n  " +
            string.Join("\n  ", errors.Take(60)));
    }

    [Fact]
    public void Host_files_name_only_symbols_of_template_json()
    {
        var cliSymbols = (CliHostJson.Value["symbolInfo"] as JsonObject ?? []).Select(entry => entry.Key);
        var ideSymbols = (IdeHostJson.Value["symbolInfo"] as JsonArray ?? [])
            .Select(entry => entry?["id"]?.GetValue<string>() ?? "(entry without id)");

        var unknown = cliSymbols.Select(name => $"dotnetcli.host.json: {name}")
            .Concat(ideSymbols.Select(name => $"ide.host.json: {name}"))
            .Where(entry => !Symbols.ContainsKey(entry[(entry.IndexOf(": ", StringComparison.Ordinal) + 2)..]))
            .ToList();

        Assert.True(unknown.Count == 0,
            $"symbolInfo entries name symbols that template.json does not define:\n  {string.Join("\n  ", unknown)}");
    }

    [Fact]
    public void Cli_option_names_are_unique_and_not_reserved()
    {
        var symbolInfo = CliHostJson.Value["symbolInfo"] as JsonObject ?? [];
        var problems = new List<string>();

        foreach (var kind in new[] { "longName", "shortName" })
        {
            var names = symbolInfo
                .Select(entry => (symbol: entry.Key, name: (entry.Value?[kind]?.GetValue<string>() ?? "").TrimStart('-')))
                .Where(entry => entry.name.Length > 0)
                .ToList();

            problems.AddRange(names
                .GroupBy(entry => entry.name, StringComparer.OrdinalIgnoreCase)
                .Where(group => group.Count() > 1)
                .Select(group => $"{kind} '{group.Key}' is used by {string.Join(", ", group.Select(entry => entry.symbol))}"));
            problems.AddRange(names
                .Where(entry => ReservedOptionNames.Contains(entry.name) || entry.name.StartsWith("debug:", StringComparison.OrdinalIgnoreCase))
                .Select(entry => $"{kind} '{entry.name}' of {entry.symbol} is reserved by dotnet new"));
        }

        Assert.True(problems.Count == 0, $"dotnetcli.host.json:\n  {string.Join("\n  ", problems)}");
    }

    [Fact]
    public void Bool_parameters_have_display_name_and_description()
    {
        var boolParameters = Symbols
            .Where(entry => Text(entry.Value?["type"]) == "parameter" && Text(entry.Value?["datatype"])?.ToLowerInvariant() == "bool")
            .ToList();

        Assert.NotEmpty(boolParameters);
        var undocumented = boolParameters
            .SelectMany(entry => new[] { "displayName", "description" }
                .Where(field => string.IsNullOrWhiteSpace(Text(entry.Value?[field])))
                .Select(field => $"{entry.Key} has no {field}"))
            .ToList();
        Assert.True(undocumented.Count == 0, $"template.json bool parameters:\n  {string.Join("\n  ", undocumented)}");
    }

    [Fact]
    public async Task Source_modifier_paths_match_content_files()
    {
        var sources = TemplateJson.Value["sources"] as JsonArray ?? [];
        var problems = new List<string>();

        foreach (var source in sources.OfType<JsonObject>())
        {
            var sourceFolder = (Text(source["source"]) ?? "./").Replace('\\', '/').TrimStart('.', '/').TrimEnd('/');
            var files = await TemplateRepository.ListCommittableFilesAsync(sourceFolder.Length == 0 ? "." : sourceFolder);

            foreach (var modifier in (source["modifiers"] as JsonArray ?? []).OfType<JsonObject>())
            {
                var condition = Text(modifier["condition"]) ?? "(always)";
                foreach (var field in new[] { "exclude", "include" })
                {
                    foreach (var pattern in Patterns(modifier[field]))
                    {
                        var glob = new TemplateGlob(pattern);
                        if (!files.Any(glob.IsMatch))
                            problems.Add($"{condition} {field} '{pattern}' matches no file under {sourceFolder}/");
                    }
                }
                foreach (var (from, _) in modifier["rename"] as JsonObject ?? [])
                {
                    var path = from.Replace('\\', '/').TrimStart('.', '/');
                    if (!files.Any(file => file == path || file.StartsWith(path.TrimEnd('/') + "/", StringComparison.Ordinal)))
                        problems.Add($"{condition} rename '{from}' names no file under {sourceFolder}/");
                }
            }
        }

        Assert.True(problems.Count == 0, $"template.json source modifiers:\n  {string.Join("\n  ", problems)}");
    }

    [Fact]
    public void Repository_has_exactly_one_template_json()
    {
        var found = new List<string>();
        var pending = new Stack<string>([TemplateRepository.Root]);
        while (pending.Count > 0)
        {
            var directory = pending.Pop();
            found.AddRange(Directory.EnumerateFiles(directory, "template.json")
                .Select(file => Path.GetRelativePath(TemplateRepository.Root, file).Replace('\\', '/')));
            foreach (var child in Directory.EnumerateDirectories(directory))
            {
                if (Path.GetFileName(child) is not (".git" or "bin" or "obj"))
                    pending.Push(child);
            }
        }

        Assert.True(found.SequenceEqual([".template.config/template.json"]),
            $"The template engine reads every file named template.json; expected only .template.config/template.json, found: " +
            string.Join(", ", found.Order(StringComparer.Ordinal)));
    }

    /// <summary>The errors of failed schema nodes, skipping the failed branches of an anyOf or oneOf that passed.</summary>
    static IEnumerable<string> SchemaErrors(EvaluationResults node)
    {
        if (node.IsValid)
            yield break;
        foreach (var (keyword, message) in node.Errors ?? new Dictionary<string, string>())
            yield return $"at '{node.InstanceLocation}' (schema {node.EvaluationPath}): {keyword}: {message}";
        foreach (var error in (node.Details ?? []).SelectMany(SchemaErrors))
            yield return error;
    }

    static string ReadConfigFile(string fileName) => File.ReadAllText(Path.Combine(TemplateRepository.TemplateConfigDirectory, fileName));

    static JsonObject LoadObject(string fileName)
    {
        try
        {
            return JsonNode.Parse(ReadConfigFile(fileName), documentOptions: LenientJson) as JsonObject
                   ?? throw new InvalidOperationException($".template.config/{fileName} is not a JSON object.");
        }
        catch (JsonException exception)
        {
            throw new InvalidOperationException($".template.config/{fileName} is not valid JSON: {exception.Message}", exception);
        }
    }

    /// <summary>The node at a dotted path such as "tags.language"; the first segment may itself start with '$'.</summary>
    static JsonNode? Select(JsonObject root, string dottedPath) =>
        dottedPath.Split('.').Aggregate<string, JsonNode?>(root, (node, segment) => (node as JsonObject)?[segment]);

    static bool IsEmpty(JsonNode? node) => node switch
    {
        null => true,
        JsonArray array => array.Count == 0,
        JsonObject jsonObject => jsonObject.Count == 0,
        JsonValue value => value.TryGetValue<string>(out var text) && string.IsNullOrWhiteSpace(text),
        _ => false,
    };

    static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    static IEnumerable<string> Patterns(JsonNode? node) => node switch
    {
        JsonArray array => array.Select(Text).OfType<string>(),
        JsonValue value when Text(value) is { } single => [single],
        _ => [],
    };
}
