using System.Text.RegularExpressions;

namespace AuthTemplate.TemplateTests;

/// <summary>
/// A variant's files speak only of what the variant has: without refresh tokens no generated file mentions them, and
/// without RBAC none mentions roles or admins, in prose, code, names or paths.
/// </summary>
public sealed partial class FeatureMentionTests
{
    [Theory]
    [MemberData(nameof(Variants.WithoutRefreshTokens), MemberType = typeof(Variants))]
    public async Task Without_refresh_tokens_no_generated_file_mentions_them(Variant variant)
    {
        var files = (await TemplateRun.Current.Generated(variant)).Files;

        var hits = Mentions(files, RefreshMention()).ToList();

        Assert.True(hits.Count == 0,
            $"[{variant.Scenario}] Generated without refresh tokens, yet {hits.Count} lines mention them (\"refresh\"):\n  {string.Join("\n  ", hits)}");
    }

    [Theory]
    [MemberData(nameof(Variants.WithoutRbac), MemberType = typeof(Variants))]
    public async Task Without_rbac_no_generated_file_mentions_roles_or_admins(Variant variant)
    {
        var files = (await TemplateRun.Current.Generated(variant)).Files;

        var hits = Mentions(files, RbacMention()).ToList();

        Assert.True(hits.Count == 0,
            $"[{variant.Scenario}] Generated without roles and admins, yet {hits.Count} lines mention them (\"role\", \"admin\"):\n  {string.Join("\n  ", hits)}");
    }

    /// <summary>
    /// The template's records rather than the service's own files: the answers name every switch, off or on, and the
    /// template's changelog tells of every feature; the update script reads both.
    /// </summary>
    static readonly string[] TemplateRecords = [".template-answers.json", "scripts/TEMPLATE-CHANGELOG.md"];

    /// <summary>Each path and each line of a text file that matches, as <c>path:line: text</c>.</summary>
    static IEnumerable<string> Mentions(FileTree files, Regex mention)
    {
        foreach (var path in files.Paths.Except(TemplateRecords))
        {
            if (mention.IsMatch(path))
                yield return $"{path}: (its path)";
            var text = FileTree.AsText(files.Files[path]);
            if (text is null)
                continue;
            var lines = text.Split('\n');
            for (var i = 0; i < lines.Length; i++)
            {
                if (mention.IsMatch(lines[i]))
                    yield return $"{path}:{i + 1}: {Shorten(lines[i].Trim())}";
            }
        }
    }

    static string Shorten(string line) => line.Length <= 200 ? line : line[..200] + " ...";

    [GeneratedRegex("refresh", RegexOptions.IgnoreCase)]
    private static partial Regex RefreshMention();

    /// <summary>
    /// "role" and "admin" at the start of a word (role, roles, Role, admins, administrator), or as a part of a
    /// compound identifier (UserRole, IsAdmin, _roles, DEFAULT_ROLE), but not inside other words
    /// (parole, console).
    /// </summary>
    [GeneratedRegex(@"(?i:\b(role|admin))|(?<=[a-z0-9])(Role|Admin)|(?<=_)(?i:role|admin)")]
    private static partial Regex RbacMention();
}
