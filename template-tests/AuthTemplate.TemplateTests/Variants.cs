using Xunit.Abstractions;

namespace AuthTemplate.TemplateTests;

/// <summary>
/// One way of instantiating the template: a scenario name (used for snapshot and result folders), the project
/// name given with <c>-n</c>, and the template switches. Every instantiation also gets <see cref="Variants.Pins"/>.
/// </summary>
public sealed record Variant(string Scenario, string Name, params string[] Args) : IXunitSerializable
{
    // The test framework serialises theory data by scenario and looks the variant up again in the table.
    [Obsolete("Called by the test framework only.")]
    public Variant() : this("", "") { }

    public string Scenario { get; private set; } = Scenario;
    public string Name { get; private set; } = Name;
    public string[] Args { get; private set; } = Args;

    public void Serialize(IXunitSerializationInfo info) => info.AddValue(nameof(Scenario), Scenario);

    public void Deserialize(IXunitSerializationInfo info)
    {
        var variant = Variants.Find(info.GetValue<string>(nameof(Scenario)));
        (Scenario, Name, Args) = (variant.Scenario, variant.Name, variant.Args);
    }

    public override string ToString() => Scenario;
}

/// <summary>The variant table: every end-to-end test runs once per row. Add a variant by adding one line.</summary>
public static class Variants
{
    public static readonly IReadOnlyList<Variant> All =
    [
        new("default", "Contoso.Orders"),
        new("name-dashed", "my-api"),
        new("name-dotted-dashed", "Contoso.Auth-Api"),
        new("refresh-off", "Contoso.Orders", "--refresh-tokens", "false"),
        new("rbac-off", "Contoso.Orders", "--rbac", "false"),
        new("refresh-off-rbac-off", "Contoso.Orders", "--refresh-tokens", "false", "--rbac", "false"),
        new("docker-off", "Contoso.Orders", "--docker", "false"),
        new("refresh-off-docker-off", "Contoso.Orders", "--refresh-tokens", "false", "--docker", "false"),
        new("rbac-off-docker-off", "Contoso.Orders", "--rbac", "false", "--docker", "false"),
        new("all-off", "Contoso.Orders", "--refresh-tokens", "false", "--rbac", "false", "--docker", "false"),
    ];

    /// <summary>Values that would otherwise differ per instantiation, pinned so that the output is deterministic.</summary>
    public static readonly IReadOnlyList<string> Pins =
    [
        "--http-port", "5080",
        "--https-port", "7080",
        "--skip-restore",
    ];

    public static TheoryData<Variant> Table => new(All);

    /// <summary>The variants generated with Docker support (the default) and those without.</summary>
    public static TheoryData<Variant> WithDocker => new(All.Where(HasDocker));

    public static TheoryData<Variant> WithoutDocker => new(All.Where(variant => !HasDocker(variant)));

    /// <summary>The variants generated without refresh tokens, and those without roles and admin endpoints.</summary>
    public static TheoryData<Variant> WithoutRefreshTokens => new(All.Where(variant => IsOff(variant, "--refresh-tokens")));

    public static TheoryData<Variant> WithoutRbac => new(All.Where(variant => IsOff(variant, "--rbac")));

    public static bool HasDocker(Variant variant) => !IsOff(variant, "--docker");

    /// <summary>
    /// Only <c>--refresh-tokens</c> and <c>--rbac</c> change the generated C# (<c>--docker</c> adds files, names change
    /// identifiers), so the generated suites that tell the variants apart are the four combinations of those two, each
    /// run once: all on is the template source's own suite (<c>content/</c>), not run again; both off runs through its
    /// generated CI workflow (<see cref="WorkflowVariant"/>); the two with one of them off run their own <c>dotnet test</c>
    /// here. Every variant is still generated, compared with its snapshot and built with warnings as errors.
    /// </summary>
    public static readonly IReadOnlyList<string> OwnSuites = ["refresh-off", "rbac-off"];

    /// <summary>The variant whose generated CI workflow is run, its test step that combination's suite.</summary>
    public const string WorkflowVariant = "refresh-off-rbac-off";

    public static bool RunsOwnSuite(Variant variant) => OwnSuites.Contains(variant.Scenario);

    public static TheoryData<Variant> WithOwnSuite => new(All.Where(RunsOwnSuite));

    /// <summary>Whether the variant turns the bool option off (every bool option of the template is on by default).</summary>
    public static bool IsOff(Variant variant, string option) =>
        variant.Args.Select((arg, i) => arg == option && i + 1 < variant.Args.Length && variant.Args[i + 1] == "false").Any(off => off);

    public static Variant Find(string scenario) =>
        All.SingleOrDefault(variant => variant.Scenario == scenario)
        ?? throw new ArgumentException($"No variant named '{scenario}' in {nameof(Variants)}.{nameof(All)}.", nameof(scenario));
}
