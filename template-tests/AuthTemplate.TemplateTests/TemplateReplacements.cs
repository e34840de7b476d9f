using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace AuthTemplate.TemplateTests;

/// <summary>
/// What the template engine replaces in a variant's text and file names: every symbol of <c>template.json</c> with a
/// <c>replaces</c>, and the value it takes for that variant (the name forms applied to the variant's name, the pinned
/// ports and signing key of <see cref="Variants.Pins"/>).
/// </summary>
public static class TemplateReplacements
{
    static readonly Lazy<JsonObject> TemplateJson = new(() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(TemplateRepository.TemplateConfigDirectory, "template.json")))!.AsObject());
    static readonly Lazy<JsonObject> HostJson = new(() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(TemplateRepository.TemplateConfigDirectory, "dotnetcli.host.json")))!.AsObject());

    /// <summary>Source text to generated text, longest source first.</summary>
    public static IReadOnlyList<(string From, string To)> For(Variant variant)
    {
        var arguments = variant.Args.Concat(Variants.Pins).ToList();
        var replacements = new List<(string, string)>();
        foreach (var (name, node) in TemplateJson.Value["symbols"]!.AsObject())
        {
            var symbol = node!.AsObject();
            var replaces = (string?)symbol["replaces"];
            if (replaces is null)
                continue;
            replacements.Add((replaces, ValueOf(name, symbol, variant, arguments)));
        }
        return [.. replacements.OrderByDescending(pair => pair.Item1.Length)];
    }

    /// <summary>Applies every replacement at once, as the engine does (a replaced value is not replaced again).</summary>
    public static string Apply(string text, IReadOnlyList<(string From, string To)> replacements)
    {
        if (replacements.Count == 0)
            return text;
        var pattern = string.Join('|', replacements.Select(pair => Regex.Escape(pair.From)));
        var map = replacements.ToDictionary(pair => pair.From, pair => pair.To, StringComparer.Ordinal);
        return Regex.Replace(text, pattern, match => map[match.Value]);
    }

    static string ValueOf(string name, JsonObject symbol, Variant variant, IReadOnlyList<string> arguments)
    {
        var type = (string?)symbol["type"];
        if (type == "derived" && (string?)symbol["valueSource"] == "name")
            return ApplyForm((string)symbol["valueTransform"]!, variant.Name);
        if (type == "generated" && (string?)symbol["generator"] == "coalesce")
        {
            var parameter = (string)symbol["parameters"]!["sourceVariableName"]!;
            var option = "--" + ((string?)HostJson.Value["symbolInfo"]?[parameter]?["longName"] ?? parameter);
            var index = arguments.ToList().IndexOf(option);
            if (index >= 0 && index + 1 < arguments.Count)
                return arguments[index + 1];
            throw new InvalidOperationException($"Symbol {name} takes {parameter}, which {variant.Scenario} does not pin with {option}: its value is not known.");
        }
        if (type == "generated" && (string?)symbol["generator"] == "constant")
            return (string)symbol["parameters"]!["value"]!;
        if (type == "generated" && (string?)symbol["generator"] == "join" && symbol["parameters"]!["symbols"]!.AsArray() is [{ } only]
            && (string?)only["type"] == "ref")
        {
            var referenced = (string)only["value"]!;
            return ValueOf(referenced, TemplateJson.Value["symbols"]![referenced]!.AsObject(), variant, arguments);
        }
        if (type == "generated" && (string?)symbol["generator"] == "switch")
        {
            // Cases of the form (Switch) and (!Switch) on a bool parameter.
            foreach (var @case in symbol["parameters"]!["cases"]!.AsArray())
            {
                var match = Regex.Match((string)@case!["condition"]!, @"^\((!?)(\w+)\)$");
                if (!match.Success)
                    throw new InvalidOperationException($"Symbol {name} has a case these tests do not evaluate: {@case["condition"]}.");
                if (BoolOf(match.Groups[2].Value, arguments) != (match.Groups[1].Value == "!"))
                    return (string)@case["value"]!;
            }
        }
        throw new InvalidOperationException($"Symbol {name} of template.json replaces text, but these tests do not know its value for a variant.");
    }

    static bool BoolOf(string parameter, IReadOnlyList<string> arguments)
    {
        var option = "--" + ((string?)HostJson.Value["symbolInfo"]?[parameter]?["longName"] ?? parameter);
        var index = arguments.ToList().IndexOf(option);
        var value = index >= 0 && index + 1 < arguments.Count ? arguments[index + 1] : (string)TemplateJson.Value["symbols"]![parameter]!["defaultValue"]!;
        return bool.Parse(value);
    }

    static string ApplyForm(string formName, string value)
    {
        var form = TemplateJson.Value["forms"]![formName]?.AsObject()
                   ?? throw new InvalidOperationException($"template.json has no form '{formName}'.");
        return (string?)form["identifier"] switch
        {
            "chain" => form["steps"]!.AsArray().Aggregate(value, (current, step) => ApplyForm((string)step!, current)),
            "replace" => Regex.Replace(value, (string)form["pattern"]!, (string)form["replacement"]!),
            "identity" => value,
            "lowerCaseInvariant" => value.ToLowerInvariant(),
            "upperCaseInvariant" => value.ToUpperInvariant(),
            var other => throw new InvalidOperationException($"Form '{formName}' uses '{other}', which these tests do not apply."),
        };
    }
}
