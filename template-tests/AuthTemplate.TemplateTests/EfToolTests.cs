using System.Data.Common;
using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace AuthTemplate.TemplateTests;

/// <summary>
/// The EF Core command-line tools in a generated project, against the Development database its
/// <c>appsettings.Development.json</c> names (user <c>postgres</c>, password <c>postgres</c> on localhost:5432): what a
/// developer runs to look at and evolve the schema.
/// </summary>
[Collection(ConventionalPostgres.CollectionName)]
public sealed partial class EfToolTests(ConventionalPostgres postgres, ITestOutputHelper output)
{
    const string NewMigration = "AddSomethingNew";
    static readonly TimeSpan ToolTimeout = TimeSpan.FromMinutes(10);

    [Fact]
    public async Task Dotnet_ef_updates_lists_and_adds_migrations_against_the_development_database()
    {
        var variant = Variants.Find("default");
        var generated = await TemplateRun.Current.Generated(variant);
        var api = $"src/{variant.Name}.Api";
        var migrationsFolder = $"{api}/Data/Migrations";
        var settingsFile = $"{api}/appsettings.Development.json";

        using var settingsJson = JsonDocument.Parse(generated.Files.ReadText(settingsFile),
            new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var development = settingsJson.RootElement.GetProperty("ConnectionStrings").GetProperty("Postgres").GetString()!;
        var settings = new DbConnectionStringBuilder { ConnectionString = development };
        Assert.True(Says(settings, "Username", ConventionalPostgres.User) && Says(settings, "Password", ConventionalPostgres.Password)
                    && Says(settings, "Port", "5432"),
            $"[{variant.Scenario}] {settingsFile} names {development}; this test provides user {ConventionalPostgres.User} " +
            $"with password {ConventionalPostgres.Password} on port {ConventionalPostgres.DocumentedPort}.");
        var projectMigrations = generated.Files.Paths
            .Where(path => path.StartsWith(migrationsFolder + "/", StringComparison.Ordinal))
            .Select(path => MigrationFile().Match(path[(migrationsFolder.Length + 1)..]))
            .Where(match => match.Success)
            .Select(match => match.Groups["id"].Value)
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.NotEmpty(projectMigrations);
        var readme = generated.Files.ReadText("README.md").Split('\n').Select(line => line.Trim()).ToList();
        var addCommand = readme.FirstOrDefault(line => line.StartsWith("dotnet ef migrations add ", StringComparison.Ordinal));
        Assert.True(addCommand is not null, $"[{variant.Scenario}] README.md shows no `dotnet ef migrations add` command.");
        Assert.Contains("dotnet tool restore", readme);

        var port = await postgres.Port;
        output.WriteLine(postgres.Describe(port));
        // The Development settings as generated, unless the server could not have the documented port.
        var environment = new Dictionary<string, string?> { ["ConnectionStrings__Postgres"] = null, ["ASPNETCORE_ENVIRONMENT"] = null };
        if (port != ConventionalPostgres.DocumentedPort)
        {
            environment["ConnectionStrings__Postgres"] = ConventionalPostgres.WithPort(development, port);
            environment["ASPNETCORE_ENVIRONMENT"] = "Development";
            output.WriteLine($"ConnectionStrings__Postgres={environment["ConnectionStrings__Postgres"]}, ASPNETCORE_ENVIRONMENT=Development");
        }

        var directory = Path.Combine(TemplateRun.Current.FreshDirectory("ef"), variant.Name);
        generated.Files.WriteTo(directory);

        // JSON, each output line prefixed by its kind (data:, info:, error:), so that the listing can be told apart.
        string[] listMigrations = ["ef", "migrations", "list", "--project", api, "--no-build", "--json", "--prefix-output"];
        await TemplateRun.Current.InPipelineSlotAsync($"{variant.Scenario}: dotnet ef commands", async () =>
        {
            async Task<CommandResult> Step(string what, params string[] arguments)
            {
                var result = await CommandRunner.RunDotnetAsync(arguments, directory, ToolTimeout, environment);
                output.WriteLine($"exit {result.ExitCode}, {result.Duration.TotalSeconds:F1} s: {result.CommandLine}");
                Assert.True(result.Succeeded, result.Describe($"[{variant.Scenario}] {what} failed.", tailLines: 40));
                return result;
            }

            // What `dotnet new` does after generating unless told --skip-restore, as the pinned variants are.
            await Step("Restoring the solution", "restore");
            await Step("Restoring the local tools (dotnet-tools.json)", "tool", "restore");
            await Step("Applying the migrations to the Development database", "ef", "database", "update", "--project", api);

            var listed = await Step("Listing the migrations", listMigrations);
            var migrations = ListedMigrations(variant, listed);
            Assert.True(projectMigrations.SequenceEqual(migrations.Select(migration => migration.Id)),
                $"[{variant.Scenario}] `dotnet ef migrations list` lists [{string.Join(", ", migrations.Select(m => m.Id))}]; " +
                $"the project has [{string.Join(", ", projectMigrations)}].\n{listed.OutputTail(30)}");
            var notApplied = migrations.Where(migration => migration.Applied != true).Select(migration => $"{migration.Id} (applied: {migration.Applied?.ToString() ?? "unknown"})").ToList();
            Assert.True(notApplied.Count == 0, $"[{variant.Scenario}] Not applied after `dotnet ef database update`: {string.Join(", ", notApplied)}\n{listed.OutputTail(30)}");

            // The README's own command, with a name for the new migration.
            var add = addCommand!.Replace("<DescriptiveName>", NewMigration, StringComparison.Ordinal);
            Assert.DoesNotContain("<", add);
            await Step($"The README's `{addCommand}`", [.. add.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..]]);
            var added = Directory.GetFiles(Path.Combine(directory, migrationsFolder), $"*_{NewMigration}*.cs")
                .Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
            Assert.True(added.Count == 2 && added.Any(file => file!.EndsWith($"_{NewMigration}.cs", StringComparison.Ordinal))
                                         && added.Any(file => file!.EndsWith($"_{NewMigration}.Designer.cs", StringComparison.Ordinal)),
                $"[{variant.Scenario}] Expected {NewMigration}.cs and its Designer.cs in {migrationsFolder}; found: " +
                $"{string.Join(", ", added)}; everything new: {string.Join(", ", NewFiles(directory, generated.Files))}");

            await Step("Building the solution with the new migration (warnings as errors)", "build", "-warnaserror", "-tl:off", "-nologo");
            var relisted = await Step("Listing the migrations after adding one", listMigrations);
            var last = ListedMigrations(variant, relisted).LastOrDefault();
            Assert.True(last is { Applied: false } && last.Id.EndsWith($"_{NewMigration}", StringComparison.Ordinal),
                $"[{variant.Scenario}] The added migration is not the last, pending one:\n{relisted.OutputTail(30)}");
            return true;
        });
    }

    sealed record ListedMigration(string Id, bool? Applied);

    /// <summary>The migrations of <c>migrations list --json --prefix-output</c>; refuses a listing that reports errors.</summary>
    static List<ListedMigration> ListedMigrations(Variant variant, CommandResult listing)
    {
        var lines = listing.Output.Split('\n');
        var errors = lines.Where(line => line.StartsWith("error:", StringComparison.Ordinal)).ToList();
        Assert.True(errors.Count == 0, listing.Describe($"[{variant.Scenario}] `dotnet ef migrations list` reports errors.", tailLines: 30));
        var json = string.Join('\n', lines.Where(line => line.StartsWith("data:", StringComparison.Ordinal)).Select(line => line["data:".Length..]));
        using var document = JsonDocument.Parse(json);
        return document.RootElement.EnumerateArray()
            .Select(migration => new ListedMigration(
                migration.GetProperty("id").GetString()!,
                migration.GetProperty("applied").ValueKind switch { JsonValueKind.True => true, JsonValueKind.False => false, _ => null }))
            .ToList();
    }

    static IEnumerable<string> NewFiles(string directory, FileTree generated) =>
        FileTree.Read(directory).Paths
            .Where(path => !generated.Contains(path) && !path.Contains("/obj/", StringComparison.Ordinal) && !path.Contains("/bin/", StringComparison.Ordinal));

    static bool Says(DbConnectionStringBuilder settings, string key, string expected) =>
        settings.TryGetValue(key, out var value) && string.Equals(value?.ToString(), expected, StringComparison.Ordinal);

    [GeneratedRegex(@"^(?<id>[0-9]{14}_\w+)\.cs$")]
    private static partial Regex MigrationFile();
}
