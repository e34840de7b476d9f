using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace AuthTemplate.TemplateTests;

/// <summary>A variant's kustomization as <c>kubectl kustomize</c> renders it, read into JSON objects.</summary>
public sealed record RenderedManifests(GeneratedVariant Generated, CommandResult Render, IReadOnlyList<JsonObject> Objects)
{
    public IEnumerable<JsonObject> OfKind(string kind) => Objects.Where(o => (string?)o["kind"] == kind);

    public JsonObject Single(string kind) => Assert.Single(OfKind(kind));

    /// <summary>The pod specs of every workload (the API's Deployment and the migrate Job), with the workload's kind.</summary>
    public IEnumerable<(string Kind, JsonObject Pod)> PodSpecs =>
        Objects.Where(o => (string?)o["kind"] is "Deployment" or "Job")
            .Select(o => ((string)o["kind"]!, o["spec"]!["template"]!["spec"]!.AsObject()));

    public IEnumerable<(string Kind, JsonObject Container)> Containers =>
        PodSpecs.SelectMany(p => p.Pod["containers"]!.AsArray().Select(c => (p.Kind, c!.AsObject())));
}

public static class JsonNodeSearch
{
    /// <summary>Every object found under a property of this name, at any depth.</summary>
    public static IEnumerable<JsonObject> DescendantsNamed(this JsonNode node, string name)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, value) in o)
                {
                    if (value is null)
                        continue;
                    if (key == name && value is JsonObject found)
                        yield return found;
                    foreach (var inner in value.DescendantsNamed(name))
                        yield return inner;
                }
                break;
            case JsonArray array:
                foreach (var item in array.OfType<JsonNode>())
                    foreach (var inner in item.DescendantsNamed(name))
                        yield return inner;
                break;
        }
    }
}

/// <summary>Renders, reads and validates the generated Kubernetes manifests (no cluster: kubectl and node only).</summary>
public static partial class KubernetesManifests
{
    public const string Directory = "deploy/kubernetes";
    static readonly TimeSpan ToolTimeout = TimeSpan.FromMinutes(2);
    static readonly ConcurrentDictionary<string, Lazy<Task<RenderedManifests>>> Renders = new();
    static readonly Lazy<Task<string>> NodePath = new(FindNodePathAsync);

    public static string ValidatorScript => Path.Combine(TemplateRepository.Root, "template-tests", "AuthTemplate.TemplateTests", "Kubernetes", "validate-objects.mjs");

    public static Task<RenderedManifests> Rendered(Variant variant) =>
        Renders.GetOrAdd(variant.Scenario, _ => new Lazy<Task<RenderedManifests>>(() => Task.Run(() => RenderAsync(variant)))).Value;

    static async Task<RenderedManifests> RenderAsync(Variant variant)
    {
        var generated = await TemplateRun.Current.Generated(variant);
        var render = await Run("kubectl", ["kustomize", Path.Combine(generated.Directory, Directory)], generated.Directory);
        Assert.True(render.Succeeded, render.Describe($"[{variant.Scenario}] kubectl kustomize {Directory} failed."));
        return new RenderedManifests(generated, render, ReadYaml(render.StandardOutput));
    }

    /// <summary>Every document of a YAML stream as a JSON object, with YAML's plain scalars typed as Kubernetes reads them.</summary>
    public static List<JsonObject> ReadYaml(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return stream.Documents
            .Where(document => document.RootNode is YamlMappingNode)
            .Select(document => ToJson(document.RootNode)!.AsObject())
            .ToList();
    }

    static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode mapping => new JsonObject(mapping.Children.Select(pair =>
            KeyValuePair.Create(((YamlScalarNode)pair.Key).Value!, ToJson(pair.Value)))),
        YamlSequenceNode sequence => new JsonArray(sequence.Children.Select(ToJson).ToArray()),
        YamlScalarNode scalar => Scalar(scalar),
        _ => throw new InvalidOperationException($"Unexpected YAML node {node.NodeType} at {node.Start}."),
    };

    /// <summary>YAML 1.2's core schema: a quoted or block scalar is a string; a plain one may be null, a bool or a number.</summary>
    static JsonNode? Scalar(YamlScalarNode scalar)
    {
        var value = scalar.Value ?? "";
        if (scalar.Style is not (ScalarStyle.Plain or ScalarStyle.Any))
            return JsonValue.Create(value);
        if (value is "" or "~" or "null" or "Null" or "NULL")
            return null;
        if (value is "true" or "True" or "TRUE" or "false" or "False" or "FALSE")
            return JsonValue.Create(value.Equals("true", StringComparison.OrdinalIgnoreCase));
        if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
            return JsonValue.Create(integer);
        if (FloatingPoint().IsMatch(value))
            return JsonValue.Create(double.Parse(value, CultureInfo.InvariantCulture));
        return JsonValue.Create(value);
    }

    /// <summary>Runs the kubernetes-models validator over the objects: exit code 0 and no output when every one is valid.</summary>
    public static async Task<CommandResult> ValidateAsync(IEnumerable<JsonObject> objects)
    {
        var directory = TemplateRun.Current.FreshDirectory("kubernetes-validate");
        System.IO.Directory.CreateDirectory(directory);
        var input = Path.Combine(directory, "objects.json");
        await File.WriteAllTextAsync(input, new JsonArray(objects.Select(o => (JsonNode)o.DeepClone()).ToArray()).ToJsonString());
        return await Run("node", [ValidatorScript, input], directory,
            new Dictionary<string, string?> { ["NODE_PATH"] = await NodePath.Value });
    }

    /// <summary>Where global npm packages live: NODE_PATH if set, otherwise <c>npm root -g</c>.</summary>
    static async Task<string> FindNodePathAsync()
    {
        var configured = Environment.GetEnvironmentVariable("NODE_PATH");
        if (!string.IsNullOrWhiteSpace(configured))
            return configured;
        var root = await Run("npm", ["root", "-g"], Path.GetTempPath());
        Assert.True(root.Succeeded, root.Describe("npm root -g failed."));
        return root.StandardOutput.Trim();
    }

    /// <summary>A Kubernetes quantity (<c>250m</c>, <c>256Mi</c>, <c>1</c>) as a number of base units (cores, bytes).</summary>
    public static double Quantity(string quantity)
    {
        var match = QuantityPattern().Match(quantity);
        Assert.True(match.Success, $"Not a Kubernetes quantity: {quantity}");
        var number = double.Parse(match.Groups["number"].Value, CultureInfo.InvariantCulture);
        return number * match.Groups["suffix"].Value switch
        {
            "" => 1,
            "m" => 1e-3,
            "k" => 1e3,
            "M" => 1e6,
            "G" => 1e9,
            "Ki" => 1024,
            "Mi" => 1024 * 1024,
            "Gi" => 1024 * 1024 * 1024,
            var suffix => throw new ArgumentException($"Unexpected quantity suffix {suffix}", nameof(quantity)),
        };
    }

    public static JsonObject Clone(JsonObject value) => JsonNode.Parse(value.ToJsonString())!.AsObject();

    public static string Describe(JsonNode? node) => node?.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) ?? "null";

    static async Task<CommandResult> Run(string program, IReadOnlyList<string> arguments, string directory,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        try
        {
            return await CommandRunner.RunAsync(program, arguments, directory, ToolTimeout, environment);
        }
        catch (System.ComponentModel.Win32Exception exception)
        {
            throw new InvalidOperationException(
                $"`{program}` is not installed. The Kubernetes checks need kubectl (it renders the kustomization), node and " +
                "npm with kubernetes-models (npm install --global kubernetes-models@5.1.0).", exception);
        }
    }

    [GeneratedRegex(@"^[-+]?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?$")]
    private static partial Regex FloatingPoint();

    [GeneratedRegex(@"^(?<number>\d+(\.\d+)?)(?<suffix>m|k|M|G|Ki|Mi|Gi)?$")]
    private static partial Regex QuantityPattern();
}
