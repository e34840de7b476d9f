using YamlDotNet.RepresentationModel;

namespace AuthTemplate.TemplateTests;

/// <summary>A step of a GitHub Actions job: a setup action (<c>uses:</c>) or a shell script (<c>run:</c>).</summary>
public sealed record WorkflowStep(
    int Number, string? Name, string? Uses, string? Run, string? Shell, string? WorkingDirectory, string? Condition,
    IReadOnlyDictionary<string, string> Environment)
{
    public override string ToString() => $"step {Number} ({Name ?? Uses ?? Run?.Split('\n')[0]})";
}

/// <summary>A job of a workflow, with the workflow's <c>env:</c> and then its own merged into <see cref="Environment"/>.</summary>
public sealed record WorkflowJob(string Id, IReadOnlyDictionary<string, string> Environment, IReadOnlyList<WorkflowStep> Steps);

/// <summary>Reads the jobs of a GitHub Actions workflow file: their environment and steps, as the runner would.</summary>
public static class GitHubWorkflow
{
    public static WorkflowJob ReadJob(string yaml, string jobId)
    {
        var stream = new YamlStream();
        using (var reader = new StringReader(yaml))
            stream.Load(reader);
        var root = (YamlMappingNode)stream.Documents.Single().RootNode;

        var jobs = Mapping(root, "jobs") ?? throw new InvalidOperationException("The workflow has no jobs.");
        var job = Mapping(jobs, jobId)
                  ?? throw new InvalidOperationException($"The workflow has no job '{jobId}'; it has: {string.Join(", ", jobs.Children.Keys)}.");
        if (Mapping(root, "defaults") is not null || Mapping(job, "defaults") is not null)
            throw new NotSupportedException("The workflow sets `defaults:`, which this reading does not apply.");

        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in Environment(root).Concat(Environment(job)))
            environment[key] = value;

        var steps = Sequence(job, "steps") ?? throw new InvalidOperationException($"Job '{jobId}' has no steps.");
        var read = steps.Children.Cast<YamlMappingNode>().Select((step, index) => new WorkflowStep(
            index + 1, Scalar(step, "name"), Scalar(step, "uses"), Scalar(step, "run"), Scalar(step, "shell"),
            Scalar(step, "working-directory"), Scalar(step, "if"), Environment(step))).ToList();
        return new WorkflowJob(jobId, environment, read);
    }

    static Dictionary<string, string> Environment(YamlMappingNode node) =>
        Mapping(node, "env")?.Children.ToDictionary(
            pair => ((YamlScalarNode)pair.Key).Value!,
            pair => ((YamlScalarNode)pair.Value).Value ?? "",
            StringComparer.Ordinal) ?? [];

    static YamlNode? Child(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var child) ? child : null;

    static YamlMappingNode? Mapping(YamlMappingNode node, string key) => Child(node, key) as YamlMappingNode;

    static YamlSequenceNode? Sequence(YamlMappingNode node, string key) => Child(node, key) as YamlSequenceNode;

    static string? Scalar(YamlMappingNode node, string key) => (Child(node, key) as YamlScalarNode)?.Value;
}
