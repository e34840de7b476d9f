namespace AuthTemplate.TemplateTests;

/// <summary>Paths in the template repository, found by walking up from the test assembly to AuthTemplate.csproj.</summary>
public static class TemplateRepository
{
    public const string PackingProjectName = "AuthTemplate.csproj";

    static readonly Lazy<string> root = new(FindRoot);

    public static string Root => root.Value;
    public static string PackingProject => Path.Combine(Root, PackingProjectName);
    public static string TemplateConfigDirectory => Path.Combine(Root, ".template.config");
    public static string SnapshotsDirectory => Path.Combine(Root, "template-tests", "snapshots");
    public static string SchemaFile => Path.Combine(Root, "template-tests", "schemas", "template.schema.json");

    /// <summary>
    /// Files below <paramref name="folder"/> (relative to the repository root) as git would commit them: tracked
    /// files plus untracked files that are not ignored. Paths are relative to <paramref name="folder"/>, with '/'.
    /// </summary>
    public static async Task<IReadOnlyList<string>> ListCommittableFilesAsync(string folder)
    {
        var prefix = folder.Trim('/') + "/";
        var result = await CommandRunner.RunAsync(
            "git", ["ls-files", "--cached", "--others", "--exclude-standard", "-z", "--", prefix],
            Root, TimeSpan.FromMinutes(1));
        if (!result.Succeeded)
            throw new InvalidOperationException(result.Describe($"git could not list the files under {prefix}"));

        return result.Output
            .Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Where(path => path.StartsWith(prefix, StringComparison.Ordinal))
            .Where(path => File.Exists(Path.Combine(Root, path)))
            .Select(path => path[prefix.Length..])
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, PackingProjectName)))
                return directory.FullName;
        }

        throw new InvalidOperationException(
            $"No folder above {AppContext.BaseDirectory} contains {PackingProjectName}: run the tests from inside the template repository.");
    }
}
