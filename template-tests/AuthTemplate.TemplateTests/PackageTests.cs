using System.IO.Compression;
using System.Xml.Linq;

namespace AuthTemplate.TemplateTests;

/// <summary>What <c>dotnet pack AuthTemplate.csproj</c> puts in the template package.</summary>
public sealed class PackageTests
{
    [Fact]
    public async Task Package_contains_every_content_file()
    {
        var entries = await ReadEntryNamesAsync();
        var contentFiles = await TemplateRepository.ListCommittableFilesAsync("content");

        Assert.NotEmpty(contentFiles);
        var missing = contentFiles.Where(file => !entries.Contains("content/" + file)).ToList();
        Assert.True(missing.Count == 0,
            $"The package lacks {missing.Count} of the {contentFiles.Count} files under content/ " +
            $"(dotfiles need NoDefaultExcludes=true):\n  {string.Join("\n  ", missing.Take(50))}");
    }

    [Fact]
    public async Task Package_has_template_config_and_no_build_output()
    {
        var entries = await ReadEntryNamesAsync();

        Assert.Contains(".template.config/template.json", entries);
        var buildOutput = entries
            .Where(entry => entry.Split('/').SkipLast(1).Any(folder => folder.Equals("bin", StringComparison.OrdinalIgnoreCase)
                                                                       || folder.Equals("obj", StringComparison.OrdinalIgnoreCase)))
            .ToList();
        Assert.True(buildOutput.Count == 0, $"The package contains build output:\n  {string.Join("\n  ", buildOutput.Take(50))}");
    }

    [Fact]
    public async Task Nuspec_has_the_metadata_of_a_published_template()
    {
        var packageFile = await TemplateRun.Current.PackageFile;
        using var archive = ZipFile.OpenRead(packageFile);
        var nuspecEntry = archive.Entries.SingleOrDefault(entry => !entry.FullName.Contains('/') && entry.FullName.EndsWith(".nuspec", StringComparison.Ordinal));
        Assert.True(nuspecEntry is not null, $"{packageFile} has no .nuspec at its root.");

        XDocument nuspec;
        using (var stream = nuspecEntry.Open())
            nuspec = XDocument.Load(stream);
        var metadata = nuspec.Root?.Elements().SingleOrDefault(element => element.Name.LocalName == "metadata");
        Assert.True(metadata is not null, "The .nuspec has no metadata element.");

        string? Value(string name) => metadata.Elements().FirstOrDefault(element => element.Name.LocalName == name)?.Value.Trim();
        XElement? Element(string name) => metadata.Elements().FirstOrDefault(element => element.Name.LocalName == name);

        var problems = new List<string>();
        foreach (var required in new[] { "id", "version", "description", "authors", "projectUrl", "readme" })
        {
            if (string.IsNullOrEmpty(Value(required)))
                problems.Add($"<{required}> is missing or empty");
        }

        var license = Element("license");
        if ((string?)license?.Attribute("type") != "expression" || license.Value.Trim() != "MIT")
            problems.Add($"<license type=\"expression\">MIT</license> expected, found: {license?.ToString() ?? "nothing"}");

        var tags = (Value("tags") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        foreach (var tag in new[] { "dotnet-new", "templates" })
        {
            if (!tags.Contains(tag, StringComparer.OrdinalIgnoreCase))
                problems.Add($"tag '{tag}' missing from <tags>{Value("tags")}</tags>");
        }

        var packageTypes = Element("packageTypes")?.Elements().Select(element => (string?)element.Attribute("name")).ToList() ?? [];
        if (!packageTypes.Contains("Template"))
            problems.Add($"<packageType name=\"Template\"> missing (found: {string.Join(", ", packageTypes)})");

        var readme = Value("readme");
        if (!string.IsNullOrEmpty(readme) && archive.GetEntry(readme.Replace('\\', '/')) is null)
            problems.Add($"the readme '{readme}' named in the .nuspec is not in the package");

        Assert.True(problems.Count == 0, $"{nuspecEntry.FullName} in {Path.GetFileName(packageFile)}:\n  {string.Join("\n  ", problems)}");
    }

    static async Task<HashSet<string>> ReadEntryNamesAsync()
    {
        var packageFile = await TemplateRun.Current.PackageFile;
        using var archive = ZipFile.OpenRead(packageFile);
        return archive.Entries
            .Where(entry => !entry.FullName.EndsWith('/'))
            .Select(entry => Uri.UnescapeDataString(entry.FullName.Replace('\\', '/')))
            .ToHashSet(StringComparer.Ordinal);
    }
}
