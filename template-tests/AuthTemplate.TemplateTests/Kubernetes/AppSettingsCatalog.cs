using System.Text.RegularExpressions;

namespace AuthTemplate.TemplateTests;

/// <summary>
/// The settings a generated app binds, read from its own source rather than listed by hand: every settings class bound
/// to a configuration section (<c>AddSettings&lt;T, V&gt;(X.Section)</c>, <c>AddOptions&lt;T&gt;().BindConfiguration(...)</c>)
/// with its public settable properties, nested settings classes and lists followed; and every key the app reads
/// directly (<c>configuration[X.Key]</c>). An environment variable is a setting when its <c>__</c>-separated path
/// leads to a property that way, compared without case as configuration does. The framework's own variables are
/// recognised by their prefixes: ASP.NET Core reads <c>ASPNETCORE_*</c>, the .NET runtime and host <c>DOTNET_*</c>, and
/// the OpenTelemetry SDK <c>OTEL_*</c>; the app reads none of those names itself except through them.
/// </summary>
public sealed partial class AppSettingsCatalog
{
    public static readonly string[] FrameworkPrefixes = ["ASPNETCORE_", "DOTNET_", "OTEL_"];

    readonly Dictionary<string, List<(string Name, string Type)>> properties = new(StringComparer.Ordinal);
    readonly List<(string Section, string Class)> bindings = [];
    readonly List<string> directKeys = [];

    public AppSettingsCatalog(FileTree files)
    {
        var sources = files.Paths
            .Where(path => path.StartsWith("src/", StringComparison.Ordinal) && path.EndsWith(".cs", StringComparison.Ordinal) && !path.Contains("/Migrations/", StringComparison.Ordinal))
            .Select(files.ReadText)
            .ToList();

        var constants = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var source in sources)
        {
            var classes = TypeDeclaration().Matches(source).Select(m => (m.Index, Name: m.Groups["name"].Value)).ToList();
            string EnclosingClass(int index) => classes.LastOrDefault(c => c.Index < index).Name ?? "";
            foreach (Match constant in StringConstant().Matches(source))
                constants[$"{EnclosingClass(constant.Index)}.{constant.Groups["name"].Value}"] = constant.Groups["value"].Value;
            foreach (Match property in SettableProperty().Matches(source))
            {
                var owner = EnclosingClass(property.Index);
                if (!properties.TryGetValue(owner, out var list))
                    properties[owner] = list = [];
                list.Add((property.Groups["name"].Value, property.Groups["type"].Value.Replace(" ", "", StringComparison.Ordinal)));
            }
        }

        // A parameter (the generic registration helpers themselves) resolves to nothing and is skipped.
        string? Resolve(string expression)
        {
            expression = expression.Trim();
            if (expression.StartsWith('"'))
                return expression.Trim('"');
            if (constants.TryGetValue(expression, out var value))
                return value;
            // A constant of the class itself, named without its class.
            var unqualified = constants.Where(c => c.Key.EndsWith("." + expression, StringComparison.Ordinal)).Select(c => c.Value).Distinct().ToList();
            return unqualified.Count == 1
                ? unqualified[0]
                : null;
        }

        foreach (var source in sources)
        {
            foreach (Match binding in AddSettingsCall().Matches(source))
            {
                if (Resolve(binding.Groups["section"].Value) is { } section)
                    bindings.Add((section, binding.Groups["class"].Value));
            }
            foreach (Match chain in AddOptionsChain().Matches(source))
            {
                foreach (Match bind in BindConfigurationCall().Matches(chain.Groups["chain"].Value))
                {
                    if (Resolve(bind.Groups["section"].Value) is { } section)
                        bindings.Add((section, chain.Groups["class"].Value));
                }
            }
            foreach (Match read in ConfigurationIndexer().Matches(source))
            {
                if (Resolve(read.Groups["key"].Value) is { } key)
                    directKeys.Add(key);
            }
        }

        Assert.True(bindings.Count > 0, "No settings binding found in the generated source: the catalog would accept nothing.");
    }

    public IReadOnlyList<(string Section, string Class)> Bindings => bindings;

    public IReadOnlyList<string> DirectKeys => directKeys;

    /// <summary>Whether the app reads the environment variable (a configuration path with <c>__</c> as separator).</summary>
    public bool Reads(string variable)
    {
        if (FrameworkPrefixes.Any(prefix => variable.StartsWith(prefix, StringComparison.Ordinal)))
            return true;
        var path = variable.Split("__");
        if (directKeys.Any(key => key.Split(':').SequenceEqual(path, StringComparer.OrdinalIgnoreCase)))
            return true;
        foreach (var (section, settingsClass) in bindings)
        {
            var sectionPath = section.Split(':');
            if (path.Length > sectionPath.Length && path.Take(sectionPath.Length).SequenceEqual(sectionPath, StringComparer.OrdinalIgnoreCase)
                && Leads(settingsClass, path, sectionPath.Length))
                return true;
        }
        return false;
    }

    bool Leads(string settingsClass, string[] path, int index)
    {
        if (!properties.TryGetValue(settingsClass, out var members))
            return false;
        var property = members.FirstOrDefault(p => string.Equals(p.Name, path[index], StringComparison.OrdinalIgnoreCase));
        if (property.Name is null)
            return false;
        var type = property.Type.TrimEnd('?');
        var element = ListElement().Match(type);
        if (element.Success)
        {
            if (index + 1 >= path.Length || !int.TryParse(path[index + 1], out _))
                return false;
            type = element.Groups["element"].Value.TrimEnd('?');
            index++;
        }
        return properties.ContainsKey(type) ? index + 1 < path.Length && Leads(type, path, index + 1) : index + 1 == path.Length;
    }

    [GeneratedRegex(@"\b(class|record)\s+(?<name>[A-Z]\w*)")]
    private static partial Regex TypeDeclaration();

    [GeneratedRegex(@"const\s+string\s+(?<name>\w+)\s*=\s*""(?<value>[^""]*)""")]
    private static partial Regex StringConstant();

    [GeneratedRegex(@"public\s+(?<type>[\w<>\[\]?,. ]+?)\s+(?<name>\w+)\s*\{\s*get;\s*(set|init);")]
    private static partial Regex SettableProperty();

    [GeneratedRegex(@"AddSettings<(?<class>\w+),\s*\w+>\((?<section>[^)]*)\)")]
    private static partial Regex AddSettingsCall();

    [GeneratedRegex(@"AddOptions<(?<class>\w+)>\(\)(?<chain>[^;]*);")]
    private static partial Regex AddOptionsChain();

    [GeneratedRegex(@"BindConfiguration\((?<section>[^)]*)\)")]
    private static partial Regex BindConfigurationCall();

    [GeneratedRegex(@"[Cc]onfiguration\[(?<key>[^\]]+)\]")]
    private static partial Regex ConfigurationIndexer();

    [GeneratedRegex(@"^(?:List<(?<element>[\w.?]+)>|IList<(?<element>[\w.?]+)>|IReadOnlyList<(?<element>[\w.?]+)>|(?<element>[\w.?]+)\[\])$")]
    private static partial Regex ListElement();
}
