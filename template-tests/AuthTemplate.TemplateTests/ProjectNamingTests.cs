using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace AuthTemplate.TemplateTests;

/// <summary>Project names with dots and dashes must give paths that exist and identifiers that stay valid.</summary>
public sealed partial class ProjectNamingTests
{
    static readonly JsonDocumentOptions LenientJson = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>
    /// The project name as a C# namespace: what the template uses for file, folder, project and namespace names alike,
    /// so that they always agree. Characters a namespace cannot hold become <c>_</c>.
    /// </summary>
    static readonly Dictionary<string, string> NamespaceForms = new()
    {
        ["Contoso.Orders"] = "Contoso.Orders",
        ["my-api"] = "my_api",
        ["Contoso.Auth-Api"] = "Contoso.Auth_Api",
    };

    [Theory]
    [MemberData(nameof(Variants.Table), MemberType = typeof(Variants))]
    public async Task Solution_and_projects_are_named_after_the_project_in_its_namespace_form(Variant variant)
    {
        var files = (await TemplateRun.Current.Generated(variant)).Files;
        var expected = NamespaceForms[variant.Name];

        Assert.True(files.Contains($"{expected}.slnx"),
            $"[{variant.Scenario}] Expected {expected}.slnx at the output root; found: {string.Join(", ", RootSolutions(files))}");
        Assert.True(files.Contains($"src/{expected}.Api/{expected}.Api.csproj"), $"[{variant.Scenario}] Expected src/{expected}.Api/{expected}.Api.csproj");
        Assert.True(files.Contains($"tests/{expected}.Api.Tests/{expected}.Api.Tests.csproj"), $"[{variant.Scenario}] Expected tests/{expected}.Api.Tests/{expected}.Api.Tests.csproj");
    }

    [Theory]
    [MemberData(nameof(Variants.Table), MemberType = typeof(Variants))]
    public async Task Solution_file_lists_projects_that_exist(Variant variant)
    {
        var files = (await TemplateRun.Current.Generated(variant)).Files;
        var solutions = RootSolutions(files);
        Assert.True(solutions.Count == 1,
            $"[{variant.Scenario}] Expected one .slnx file at the output root, found {solutions.Count}: {string.Join(", ", solutions)}");

        var solution = solutions[0];
        var projects = XDocument.Parse(files.ReadText(solution)).Descendants()
            .Where(element => element.Name.LocalName == "Project")
            .Select(element => (string?)element.Attribute("Path") ?? "")
            .ToList();

        Assert.True(projects.Count > 0, $"[{variant.Scenario}] {solution} lists no project.");
        var missing = projects.Where(path => !files.Contains(FileTree.Combine(solution, path))).ToList();
        Assert.True(missing.Count == 0, $"[{variant.Scenario}] {solution} lists projects that were not generated: {string.Join(", ", missing)}");
    }

    [Theory]
    [MemberData(nameof(Variants.Table), MemberType = typeof(Variants))]
    public async Task Project_references_point_to_existing_projects(Variant variant)
    {
        var files = (await TemplateRun.Current.Generated(variant)).Files;

        var broken = ProjectFiles(files)
            .SelectMany(project => XDocument.Parse(files.ReadText(project)).Descendants()
                .Where(element => element.Name.LocalName == "ProjectReference")
                .Select(element => (project, reference: (string?)element.Attribute("Include") ?? "")))
            .Where(entry => !files.Contains(FileTree.Combine(entry.project, entry.reference)))
            .Select(entry => $"{entry.project} -> {entry.reference}")
            .ToList();

        Assert.True(broken.Count == 0, $"[{variant.Scenario}] ProjectReference paths that do not exist:\n  {string.Join("\n  ", broken)}");
    }

    [Theory]
    [MemberData(nameof(Variants.Table), MemberType = typeof(Variants))]
    public async Task Namespaces_start_with_their_project_namespace(Variant variant)
    {
        var files = (await TemplateRun.Current.Generated(variant)).Files;
        var projects = ProjectFiles(files).ToList();
        var problems = new List<string>();

        foreach (var source in files.Paths.Where(path => path.EndsWith(".cs", StringComparison.Ordinal)))
        {
            var project = projects
                .Where(candidate => source.StartsWith(FolderOf(candidate), StringComparison.Ordinal))
                .MaxBy(candidate => FolderOf(candidate).Length);
            if (project is null)
                continue;

            var allowedRoots = AllowedRootNamespaces(project, files.ReadText(project));
            foreach (Match declaration in NamespaceDeclaration().Matches(files.ReadText(source)))
            {
                var declared = declaration.Groups[1].Value;
                if (!allowedRoots.Any(root => declared == root || declared.StartsWith(root + ".", StringComparison.Ordinal)))
                    problems.Add($"{source}: namespace {declared} (expected {string.Join(" or ", allowedRoots)}[.*])");
            }
        }

        Assert.True(problems.Count == 0, $"[{variant.Scenario}] Namespaces outside their project's namespace:\n  {string.Join("\n  ", problems)}");
    }

    [Theory]
    [MemberData(nameof(Variants.Table), MemberType = typeof(Variants))]
    public async Task Database_name_and_token_audience_are_lower_case_identifiers(Variant variant)
    {
        var files = (await TemplateRun.Current.Generated(variant)).Files;
        var settingsFiles = files.Paths.Where(path => AppSettingsFile().IsMatch(path)).ToList();
        var found = new List<string>();
        var problems = new List<string>();

        foreach (var settingsFile in settingsFiles)
        {
            var text = files.ReadText(settingsFile);
            foreach (Match database in DatabaseSetting().Matches(text))
                Check(settingsFile, "Database=", database.Groups[1].Value.Trim());

            var root = JsonNode.Parse(text, documentOptions: LenientJson);
            // The issuer is a URL (the API's public base URL), so only the audience comes from the project name.
            foreach (var (name, value) in StringProperties(root).Where(property => property.name is "Audience"))
                Check(settingsFile, name, value);
        }

        Assert.True(found.Any(entry => entry.Contains("Database=", StringComparison.Ordinal)),
            $"[{variant.Scenario}] No connection string with Database= in {string.Join(", ", settingsFiles)}.");
        Assert.True(problems.Count == 0,
            $"[{variant.Scenario}] Values that must match ^[a-z0-9_]+$ for project name '{variant.Name}':\n  {string.Join("\n  ", problems)}");

        void Check(string file, string setting, string value)
        {
            found.Add($"{file}: {setting} {value}");
            if (!LowerCaseIdentifier().IsMatch(value))
                problems.Add($"{file}: {setting} \"{value}\"");
        }
    }

    static List<string> RootSolutions(FileTree files) =>
        files.Paths.Where(path => !path.Contains('/') && path.EndsWith(".slnx", StringComparison.Ordinal)).ToList();

    static IEnumerable<string> ProjectFiles(FileTree files) =>
        files.Paths.Where(path => path.EndsWith(".csproj", StringComparison.Ordinal));

    static string FolderOf(string path) => path.Contains('/') ? path[..(path.LastIndexOf('/') + 1)] : "";

    static IReadOnlyList<string> AllowedRootNamespaces(string project, string projectXml)
    {
        var fileName = Path.GetFileNameWithoutExtension(project);
        var roots = new List<string> { NamespaceForm(fileName) };
        var rootNamespace = XDocument.Parse(projectXml).Descendants()
            .FirstOrDefault(element => element.Name.LocalName == "RootNamespace")?.Value.Trim();
        if (!string.IsNullOrEmpty(rootNamespace) && !rootNamespace.Contains("$(", StringComparison.Ordinal))
            roots.Insert(0, rootNamespace);
        return roots;
    }

    /// <summary>What MSBuild makes of a project name as a namespace: invalid characters become '_'.</summary>
    static string NamespaceForm(string projectName) =>
        string.Join('.', projectName.Split('.').Select(segment =>
        {
            var identifier = new string(segment.Select(c => char.IsLetterOrDigit(c) || c == '_' ? c : '_').ToArray());
            return identifier.Length > 0 && char.IsDigit(identifier[0]) ? "_" + identifier : identifier;
        }));

    static IEnumerable<(string name, string value)> StringProperties(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject jsonObject:
                foreach (var (name, child) in jsonObject)
                {
                    if (child is JsonValue value && value.TryGetValue<string>(out var text))
                        yield return (name, text);
                    foreach (var nested in StringProperties(child))
                        yield return nested;
                }
                break;
            case JsonArray array:
                foreach (var nested in array.SelectMany(StringProperties))
                    yield return nested;
                break;
        }
    }

    [GeneratedRegex(@"^\s*namespace\s+([A-Za-z_][\w.]*)", RegexOptions.Multiline)]
    private static partial Regex NamespaceDeclaration();

    [GeneratedRegex(@"(^|/)appsettings[^/]*\.json$")]
    private static partial Regex AppSettingsFile();

    [GeneratedRegex(@"Database\s*=\s*([^;""]*)")]
    private static partial Regex DatabaseSetting();

    [GeneratedRegex("^[a-z0-9_]+$")]
    private static partial Regex LowerCaseIdentifier();
}
