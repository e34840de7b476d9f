using Xunit.Abstractions;

namespace AuthTemplate.TemplateTests;

/// <summary>
/// A generated service taking a later version of the template with its own <c>scripts/update-template.sh</c>: two
/// versions packed from the working tree, the second with a known change to a file the service's owners also changed
/// (on other lines, and on the same line), one they did not, a new migration, and a removed file.
/// </summary>
public sealed class TemplateUpdateTests(ITestOutputHelper output)
{
    const string First = "1.0.0";
    const string Second = "1.1.0";
    const string ProbeMigration = "20990101000000_AddUpdateProbe";
    static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(10);
    static readonly Lazy<Task<string>> Feed = new(PackBothVersionsAsync);

    static readonly Dictionary<string, string?> GitIdentity = new()
    {
        ["GIT_AUTHOR_NAME"] = "Service Owner", ["GIT_AUTHOR_EMAIL"] = "owner@example.com",
        ["GIT_COMMITTER_NAME"] = "Service Owner", ["GIT_COMMITTER_EMAIL"] = "owner@example.com",
    };

    [Fact]
    public async Task An_update_keeps_local_changes_marks_conflicts_brings_new_and_removed_files_and_a_migration_the_old_database_takes()
    {
        var postgres = Environment.GetEnvironmentVariable(TemplateRun.PostgresVariable);
        Assert.False(string.IsNullOrWhiteSpace(postgres), TemplateRun.MissingPostgresMessage);
        var feed = await Feed.Value;
        var project = await GenerateCommittedAsync(feed, First, "Contoso.Orders");
        var api = Path.Combine("src", "Contoso.Orders.Api");

        // The owners' changes: a paragraph at the end of the README (the template changes its top), and a line at the top
        // of .gitignore (where the template adds another).
        await File.AppendAllTextAsync(Path.Combine(project, "README.md"), "A paragraph the owners added.\n");
        var gitignore = await File.ReadAllLinesAsync(Path.Combine(project, ".gitignore"));
        await File.WriteAllLinesAsync(Path.Combine(project, ".gitignore"), ["# The owners' first line", .. gitignore]);
        await GitAsync(project, "commit", "-q", "-am", "Local changes");

        // A database made by the first version.
        var database = $"update_test_{Guid.NewGuid():N}"[..32];
        var migrateEnvironment = new Dictionary<string, string?>
        {
            ["ConnectionStrings__Postgres"] = $"{postgres};Database={database}",
            ["Jwt__DevelopmentKeyDirectory"] = Path.Combine(project, "..", "keys"),
        };
        var before = await RunAsync("dotnet", ["run", "--project", api, "--", "migrate"], project, migrateEnvironment);
        Assert.True(before.Succeeded, before.Describe("The first version's migrate failed."));

        var update = await RunAsync("bash", ["scripts/update-template.sh", "--source", feed], project);
        output.WriteLine(update.Output);

        Assert.True(update.ExitCode == 1, update.Describe("The update should have stopped with exit code 1 for its conflict."));
        var readme = await File.ReadAllTextAsync(Path.Combine(project, "README.md"));
        Assert.Contains("A paragraph the template added near the top.", readme, StringComparison.Ordinal);
        Assert.Contains("A paragraph the owners added.", readme, StringComparison.Ordinal);
        Assert.DoesNotContain("\n<<<<<<< ", readme, StringComparison.Ordinal);
        var conflicted = await File.ReadAllTextAsync(Path.Combine(project, ".gitignore"));
        Assert.Contains("<<<<<<< this service", conflicted, StringComparison.Ordinal);
        Assert.Contains("# The owners' first line", conflicted, StringComparison.Ordinal);
        Assert.Contains("# The template's first line", conflicted, StringComparison.Ordinal);
        Assert.Contains("// A line the template added.", await File.ReadAllTextAsync(Path.Combine(project, api, "Program.cs")), StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(project, api, "Data", "Migrations", ProbeMigration + ".cs")), "The new migration did not arrive.");
        Assert.False(File.Exists(Path.Combine(project, ".env.example")), "The file the template removed is still there.");
        Assert.Contains($"\"version\": \"{Second}\"", await File.ReadAllTextAsync(Path.Combine(project, ".template-answers.json")), StringComparison.Ordinal);
        Assert.Contains("CONFLICTS", update.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("  .gitignore", update.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("A probe table, and a migration that adds it.", update.StandardOutput, StringComparison.Ordinal);
        Assert.Contains($"dotnet run --project src/Contoso.Orders.Api -- migrate", update.StandardOutput, StringComparison.Ordinal);

        // The owners resolve the conflict their way; the project builds and the old database takes the new migration.
        await File.WriteAllLinesAsync(Path.Combine(project, ".gitignore"), ["# The owners' first line", .. gitignore]);
        var build = await RunAsync("dotnet", ["build", "-warnaserror", "-tl:off", "-nologo"], project);
        Assert.True(build.Succeeded, build.Describe("The updated project did not build."));
        var after = await RunAsync("dotnet", ["run", "--no-build", "--project", api, "--", "migrate"], project, migrateEnvironment);
        Assert.True(after.Succeeded, after.Describe("The updated project's migrate failed."));
        Assert.Contains("1 migration(s) applied", after.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_update_refuses_a_dirty_work_tree_and_an_unknown_version_and_with_switches_off_and_an_awkward_name_gives_the_new_versions_tree()
    {
        var feed = await Feed.Value;
        const string name = "Contoso.Auth-Api";
        string[] switches = ["--refresh-tokens", "false", "--rbac", "false", "--docker", "false"];
        var project = await GenerateCommittedAsync(feed, First, name, switches);

        await File.AppendAllTextAsync(Path.Combine(project, "README.md"), "Not committed.\n");
        var dirty = await RunAsync("bash", ["scripts/update-template.sh", "--source", feed], project);
        Assert.Equal(2, dirty.ExitCode);
        Assert.Contains("uncommitted changes", dirty.Output, StringComparison.Ordinal);
        await GitAsync(project, "checkout", "--", "README.md");

        var unknown = await RunAsync("bash", ["scripts/update-template.sh", "--version", "9.9.9", "--source", feed], project);
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("AuthTemplate 9.9.9 could not be installed", unknown.Output, StringComparison.Ordinal);
        Assert.Empty((await GitAsync(project, "status", "--porcelain")).StandardOutput.Trim());

        var update = await RunAsync("bash", ["scripts/update-template.sh", "--source", feed], project);
        Assert.True(update.Succeeded, update.Describe("The update of an unchanged project failed."));

        // Untouched by its owners, the project is now what the second version generates with the same answers, ports
        // included.
        var answers = await File.ReadAllTextAsync(Path.Combine(project, ".template-answers.json"));
        string Answer(string key) => System.Text.Json.JsonDocument.Parse(answers).RootElement.GetProperty("options").GetProperty(key).GetString()!;
        var fresh = await GenerateAsync(feed, Second, name, [.. switches, "--http-port", Answer("http-port"), "--https-port", Answer("https-port")]);
        var updatedTree = FileTree.Read(project);
        var freshTree = FileTree.Read(fresh);
        Assert.Equal(freshTree.Paths.Order(StringComparer.Ordinal), updatedTree.Paths.Where(path => !path.StartsWith(".git/", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        Assert.All(freshTree.Paths, path => Assert.True(freshTree.ReadText(path) == updatedTree.ReadText(path), $"{path} differs from the second version's."));
        Assert.Contains("\"rbac\": \"false\"", answers, StringComparison.Ordinal);
        Assert.Contains($"\"name\": \"{name}\"", answers, StringComparison.Ordinal);
    }

    async Task<string> GenerateCommittedAsync(string feed, string version, string name, params string[] options)
    {
        var project = await GenerateAsync(feed, version, name, options);
        await GitAsync(project, "init", "-q");
        await GitAsync(project, "add", "-A");
        await GitAsync(project, "commit", "-q", "-m", "Generated");
        return project;
    }

    async Task<string> GenerateAsync(string feed, string version, string name, string[] options)
    {
        var directory = TemplateRun.Current.FreshDirectory("update");
        var hive = Path.Combine(directory, "hive");
        var install = await RunAsync("dotnet", ["new", "install", $"AuthTemplate::{version}", "--add-source", feed, "--debug:custom-hive", hive], directory);
        Assert.True(install.Succeeded, install.Describe($"AuthTemplate {version} did not install from {feed}."));
        var project = Path.Combine(directory, name);
        var generate = await RunAsync("dotnet", ["new", "authapi", "-n", name, "-o", project, .. options, "--skip-restore", "--debug:custom-hive", hive, "--no-update-check"], directory);
        Assert.True(generate.Succeeded, generate.Describe($"AuthTemplate {version} did not generate {name}."));
        return project;
    }

    async Task<CommandResult> GitAsync(string directory, params string[] arguments)
    {
        var result = await RunAsync("git", arguments, directory, GitIdentity);
        Assert.True(result.Succeeded, result.Describe("git failed."));
        return result;
    }

    static Task<CommandResult> RunAsync(string program, IEnumerable<string> arguments, string directory, IReadOnlyDictionary<string, string?>? environment = null)
    {
        Directory.CreateDirectory(directory);
        return CommandRunner.RunAsync(program, arguments, directory, CommandTimeout, new Dictionary<string, string?>(environment ?? new Dictionary<string, string?>())
        {
            // The update's own `dotnet new` runs, and these, keep out of the machine's template hive and first-run state.
            ["DOTNET_CLI_HOME"] = TemplateRun.Current.CliHomeDirectory,
        });
    }

    /// <summary>
    /// Packs the working tree's template as the first version, then the same with the second version's changes: the top
    /// of the README, a line at the top of .gitignore, a line in Program.cs, a new migration, .env.example removed, and a
    /// changelog section.
    /// </summary>
    static async Task<string> PackBothVersionsAsync()
    {
        var work = TemplateRun.Current.FreshDirectory("update-packages");
        var source = Path.Combine(work, "source");
        var feed = Path.Combine(work, "feed");
        var files = await CommandRunner.RunAsync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "-z"], TemplateRepository.Root, CommandTimeout);
        Assert.True(files.Succeeded, files.Describe("git could not list the template's files."));
        foreach (var file in files.StandardOutput.Split('\0', StringSplitOptions.RemoveEmptyEntries).Where(file => File.Exists(Path.Combine(TemplateRepository.Root, file))))
        {
            if (file.StartsWith("template-tests/", StringComparison.Ordinal) || file.StartsWith("benchmark/", StringComparison.Ordinal))
                continue;
            var target = Path.Combine(source, file);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(Path.Combine(TemplateRepository.Root, file), target);
        }

        await PackAsync(source, feed, First);

        var content = Path.Combine(source, "content");
        var readme = await File.ReadAllLinesAsync(Path.Combine(content, "README.md"));
        await File.WriteAllLinesAsync(Path.Combine(content, "README.md"), [readme[0], "", "A paragraph the template added near the top.", .. readme.Skip(1)]);
        var gitignore = await File.ReadAllLinesAsync(Path.Combine(content, ".gitignore"));
        await File.WriteAllLinesAsync(Path.Combine(content, ".gitignore"), ["# The template's first line", .. gitignore]);
        var program = Path.Combine(content, "src", "AuthTemplate.Api", "Program.cs");
        await File.WriteAllTextAsync(program, "// A line the template added.\n" + await File.ReadAllTextAsync(program));
        File.Delete(Path.Combine(content, ".env.example"));
        await File.WriteAllTextAsync(Path.Combine(content, "src", "AuthTemplate.Api", "Data", "Migrations", ProbeMigration + ".cs"), $$"""
            using AuthTemplate.Api.Data;
            using Microsoft.EntityFrameworkCore.Infrastructure;
            using Microsoft.EntityFrameworkCore.Migrations;

            #nullable disable

            namespace AuthTemplate.Api.Data.Migrations
            {
                /// <summary>A table the model does not map: the schema change of the test's second version.</summary>
                [DbContext(typeof(AppDbContext))]
                [Migration("{{ProbeMigration}}")]
                public partial class AddUpdateProbe : Migration
                {
                    protected override void Up(MigrationBuilder migrationBuilder) => migrationBuilder.Sql("CREATE TABLE update_probe (id integer PRIMARY KEY)");

                    protected override void Down(MigrationBuilder migrationBuilder) => migrationBuilder.Sql("DROP TABLE update_probe");
                }
            }

            """);
        var changelog = Path.Combine(source, "CHANGELOG.md");
        var text = await File.ReadAllTextAsync(changelog);
        var firstSection = text.IndexOf("## [", StringComparison.Ordinal);
        await File.WriteAllTextAsync(changelog, text[..firstSection] + $"## [{Second}] - 2099-01-01\n\n- A probe table, and a migration that adds it.\n\n" + text[firstSection..]);

        await PackAsync(source, feed, Second);
        return feed;
    }

    static async Task PackAsync(string source, string feed, string version)
    {
        var pack = await CommandRunner.RunDotnetAsync(
            ["pack", Path.Combine(source, TemplateRepository.PackingProjectName), "-o", feed, $"-p:Version={version}", "-tl:off", "-nologo"],
            source, CommandTimeout);
        Assert.True(pack.Succeeded, pack.Describe($"Packing version {version} failed."));
    }
}
