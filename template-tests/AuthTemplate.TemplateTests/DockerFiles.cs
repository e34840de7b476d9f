using System.Text.Json;
using System.Text.RegularExpressions;

namespace AuthTemplate.TemplateTests;

/// <summary>What a test needs to read from a generated Dockerfile (no Docker engine runs here).</summary>
public sealed partial class Dockerfile(string text)
{
    public IReadOnlyList<string> Instructions { get; } = JoinContinuations(text);

    public IReadOnlyList<string> Stages => Instructions.Where(i => i.StartsWith("FROM ", StringComparison.Ordinal)).ToList();

    /// <summary>The instructions of the last stage, the one the image runs.</summary>
    public IReadOnlyList<string> FinalStage => Instructions.Skip(Instructions.ToList().FindLastIndex(i => i.StartsWith("FROM ", StringComparison.Ordinal))).ToList();

    /// <summary>Docker's name (TARGETARCH) for this machine's architecture, which <c>dotnet publish --arch</c> also takes.</summary>
    public static string TargetArchOfThisMachine => System.Runtime.InteropServices.RuntimeInformation.OSArchitecture switch
    {
        System.Runtime.InteropServices.Architecture.X64 => "amd64",
        System.Runtime.InteropServices.Architecture.Arm64 => "arm64",
        var other => throw new PlatformNotSupportedException($"No image is built for {other}."),
    };

    public IReadOnlyList<string> RunCommands => Instructions.Where(i => i.StartsWith("RUN ", StringComparison.Ordinal)).Select(i => i[4..].Trim()).ToList();

    public IReadOnlyList<string> Entrypoint => ExecForm(Single("ENTRYPOINT "));

    public IReadOnlyList<string> HealthCheck
    {
        get
        {
            var instruction = Single("HEALTHCHECK ");
            return ExecForm(instruction[(instruction.IndexOf(" CMD ", StringComparison.Ordinal) + 5)..]);
        }
    }

    /// <summary>ENV of the final stage, in both the <c>KEY=value</c> and the legacy <c>KEY value</c> forms.</summary>
    public IReadOnlyDictionary<string, string> Environment =>
        FinalStage.Where(i => i.StartsWith("ENV ", StringComparison.Ordinal))
            .SelectMany(i => EnvPair().Matches(i[4..]).Select(m => (m.Groups["key"].Value, m.Groups["value"].Value)))
            .ToDictionary(pair => pair.Item1, pair => pair.Item2);

    private string Single(string prefix) => Instructions.Single(i => i.StartsWith(prefix, StringComparison.Ordinal))[prefix.Length..].Trim();

    private static IReadOnlyList<string> ExecForm(string json) => JsonSerializer.Deserialize<string[]>(json.Trim())!;

    private static List<string> JoinContinuations(string text)
    {
        var instructions = new List<string>();
        var current = "";
        foreach (var rawLine in text.Replace("\r\n", "\n").Split('\n'))
        {
            var line = rawLine.Trim();
            if (current.Length == 0 && (line.Length == 0 || line.StartsWith('#')))
                continue;
            if (line.EndsWith('\\'))
            {
                current += line[..^1].Trim() + " ";
                continue;
            }

            instructions.Add((current + line).Trim());
            current = "";
        }

        return instructions;
    }

    [GeneratedRegex(@"(?<key>[A-Za-z_][A-Za-z0-9_]*)=(?<value>""[^""]*""|\S+)")]
    private static partial Regex EnvPair();
}

/// <summary>Reads what <c>docker-compose config</c> prints: the fully resolved compose file, in YAML.</summary>
public static partial class ResolvedCompose
{
    /// <summary>The <c>environment</c> mapping of one service, its values unquoted.</summary>
    public static IReadOnlyDictionary<string, string> Environment(string resolvedYaml, string service) =>
        Mapping(resolvedYaml, service, "environment");

    /// <summary>The top-level <c>secrets</c>: each name with the file compose mounts at <c>/run/secrets/NAME</c>.</summary>
    public static IReadOnlyDictionary<string, string> Secrets(string resolvedYaml)
    {
        var lines = resolvedYaml.Replace("\r\n", "\n").Split('\n').ToList();
        var start = lines.FindIndex(line => line == "secrets:");
        var secrets = new Dictionary<string, string>();
        if (start < 0)
            return secrets;
        string? name = null;
        foreach (var line in lines.Skip(start + 1).TakeWhile(line => line.Length == 0 || line.StartsWith(' ')))
        {
            var entry = MappingEntry().Match(line);
            if (!entry.Success)
                continue;
            if (Indentation(line) == 2)
                name = entry.Groups["key"].Value;
            else if (name is not null && entry.Groups["key"].Value == "file")
                secrets[name] = Unquote(entry.Groups["value"].Value);
        }

        return secrets;
    }

    public static IReadOnlyList<string> Command(string resolvedYaml, string service) =>
        ServiceBlock(resolvedYaml, service)
            .SkipWhile(line => line.Trim() != "command:").Skip(1)
            .TakeWhile(line => line.TrimStart().StartsWith("- ", StringComparison.Ordinal))
            .Select(line => Unquote(line.Trim()[2..]))
            .ToList();

    private static Dictionary<string, string> Mapping(string resolvedYaml, string service, string key)
    {
        var block = ServiceBlock(resolvedYaml, service);
        var start = block.FindIndex(line => line.Trim() == $"{key}:");
        if (start < 0)
            return [];
        var indent = Indentation(block[start]);
        return block.Skip(start + 1)
            .TakeWhile(line => Indentation(line) > indent)
            .Select(line => MappingEntry().Match(line))
            .Where(match => match.Success)
            .ToDictionary(match => match.Groups["key"].Value, match => Unquote(match.Groups["value"].Value));
    }

    private static List<string> ServiceBlock(string resolvedYaml, string service)
    {
        var lines = resolvedYaml.Replace("\r\n", "\n").Split('\n').ToList();
        var servicesAt = lines.FindIndex(line => line == "services:");
        var start = lines.FindIndex(servicesAt + 1, line => line == $"  {service}:");
        if (start < 0)
            throw new InvalidOperationException($"No service '{service}' in the resolved compose file:\n{resolvedYaml}");
        return lines.Skip(start + 1).TakeWhile(line => line.Length == 0 || Indentation(line) > 2).ToList();
    }

    private static int Indentation(string line) => line.Length - line.TrimStart().Length;

    private static string Unquote(string value)
    {
        value = value.Trim();
        if (value.Length >= 2 && value[0] == '\'' && value[^1] == '\'')
            return value[1..^1].Replace("''", "'", StringComparison.Ordinal);
        if (value.Length >= 2 && value[0] == '"' && value[^1] == '"')
            return JsonSerializer.Deserialize<string>(value)!;
        return value;
    }

    [GeneratedRegex(@"^\s+(?<key>[A-Za-z_][A-Za-z0-9_]*):\s?(?<value>.*)$")]
    private static partial Regex MappingEntry();
}
