using System.Text.RegularExpressions;

namespace AuthTemplate.TemplateTests;

/// <summary>
/// The template's Markdown files hold <c>&lt;!--#if (X) --&gt;</c> directives. The engine treats a directive's whole line
/// as the directive and drops any text beside it, so text is lost silently unless each directive stands alone.
/// These tests check the source for that, and every variant's generated Markdown for leftover directives and for
/// text outside every conditional block that did not make it through.
/// </summary>
public sealed partial class MarkdownDirectiveTests
{
    [Fact]
    public async Task Every_directive_in_the_template_markdown_stands_alone_on_its_line()
    {
        var problems = new List<string>();
        foreach (var path in await SourceMarkdownFiles())
        {
            var lines = ReadLines(Path.Combine(TemplateRepository.Root, "content", path));
            for (var i = 0; i < lines.Length; i++)
            {
                if (DirectiveOpening().IsMatch(lines[i]) && !StandaloneDirective().IsMatch(lines[i]))
                    problems.Add($"content/{path}:{i + 1}: {lines[i]}");
            }
        }

        Assert.True(problems.Count == 0,
            "These lines hold text beside a conditional directive; the template engine drops the whole line, text and all. " +
            $"Put each directive on a line of its own:\n  {string.Join("\n  ", problems)}");
    }

    [Theory]
    [MemberData(nameof(Variants.Table), MemberType = typeof(Variants))]
    public async Task Generated_markdown_holds_no_directive(Variant variant)
    {
        var files = (await TemplateRun.Current.Generated(variant)).Files;
        var markdown = MarkdownPaths(files).ToList();
        Assert.NotEmpty(markdown);

        var leftovers = markdown
            .SelectMany(path => files.ReadText(path).Replace("\r\n", "\n").Split('\n')
                .Select((line, i) => (path, number: i + 1, line)))
            .Where(entry => LeftoverDirective().IsMatch(entry.line))
            .Select(entry => $"{entry.path}:{entry.number}: {entry.line}")
            .ToList();

        Assert.True(leftovers.Count == 0, $"[{variant.Scenario}] Directive text left in generated Markdown:\n  {string.Join("\n  ", leftovers)}");
    }

    [Theory]
    [MemberData(nameof(Variants.Table), MemberType = typeof(Variants))]
    public async Task Generated_markdown_keeps_all_text_outside_conditional_blocks(Variant variant)
    {
        var files = (await TemplateRun.Current.Generated(variant)).Files;
        var replacements = TemplateReplacements.For(variant);
        var problems = new List<string>();

        foreach (var source in await SourceMarkdownFiles())
        {
            var target = TemplateReplacements.Apply(source, replacements);
            if (!files.Contains(target))
            {
                problems.Add($"content/{source}: no {target} was generated");
                continue;
            }
            var generated = files.ReadText(target).Replace("\r\n", "\n").Split('\n');

            // The unconditional text of the source, in order; each piece must appear in the generated file, in order.
            var position = 0;
            foreach (var piece in UnconditionalText(ReadLines(Path.Combine(TemplateRepository.Root, "content", source))))
            {
                var expected = TemplateReplacements.Apply(piece.Text, replacements);
                var found = -1;
                for (var i = position; i < generated.Length && found < 0; i++)
                {
                    if (piece.WholeLine ? generated[i].TrimEnd() == expected.TrimEnd() : generated[i].Contains(expected.Trim(), StringComparison.Ordinal))
                        found = i;
                }
                if (found < 0)
                    problems.Add($"content/{source}:{piece.Line} is missing from {target}: {expected.Trim()}");
                else
                    position = piece.WholeLine ? found + 1 : found;
            }
        }

        Assert.True(problems.Count == 0,
            $"[{variant.Scenario}] Text outside every conditional block of the template's Markdown did not reach the generated files:\n  " +
            string.Join("\n  ", problems));
    }

    sealed record Piece(int Line, string Text, bool WholeLine);

    /// <summary>
    /// The text of a Markdown source outside every conditional block: whole lines, and the text beside a directive
    /// at the outer level (after an <c>endif</c> that closes the outermost block, or before an outermost <c>if</c>).
    /// Blank text is left out: the engine may trim it.
    /// </summary>
    static IEnumerable<Piece> UnconditionalText(string[] lines)
    {
        var depth = 0;
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            var directives = Directive().Matches(line);
            if (directives.Count == 0)
            {
                if (depth == 0 && line.Trim().Length > 0)
                    yield return new Piece(i + 1, line, WholeLine: true);
                continue;
            }

            var cursor = 0;
            foreach (Match directive in directives)
            {
                var before = line[cursor..directive.Index];
                if (depth == 0 && before.Trim().Length > 0)
                    yield return new Piece(i + 1, before, WholeLine: false);
                depth += directive.Groups["keyword"].Value switch { "if" => 1, "endif" => -1, _ => 0 };
                cursor = directive.Index + directive.Length;
            }
            var after = line[cursor..];
            if (depth == 0 && after.Trim().Length > 0)
                yield return new Piece(i + 1, after, WholeLine: false);
        }
    }

    static async Task<IReadOnlyList<string>> SourceMarkdownFiles()
    {
        var files = (await TemplateRepository.ListCommittableFilesAsync("content"))
            .Where(path => path.EndsWith(".md", StringComparison.OrdinalIgnoreCase))
            .ToList();
        Assert.NotEmpty(files);
        return files;
    }

    static IEnumerable<string> MarkdownPaths(FileTree files) =>
        files.Paths.Where(path => path.EndsWith(".md", StringComparison.OrdinalIgnoreCase));

    static string[] ReadLines(string path) => File.ReadAllText(path).Replace("\r\n", "\n").Split('\n');

    /// <summary>A conditional directive of the template engine's Markdown syntax, anywhere on a line.</summary>
    [GeneratedRegex(@"<!--\s*#(?<keyword>if|elseif|else|endif)\b.*?-->")]
    private static partial Regex Directive();

    [GeneratedRegex(@"<!--\s*#(if|elseif|else|endif)\b")]
    private static partial Regex DirectiveOpening();

    /// <summary>A line that is one directive and nothing else.</summary>
    [GeneratedRegex(@"^\s*<!--\s*#(if|elseif)\s*\(.*\)\s*-->\s*$|^\s*<!--\s*#(else|endif)\s*-->\s*$")]
    private static partial Regex StandaloneDirective();

    /// <summary>What is left of a directive the engine did not process: its opening, or a bare keyword.</summary>
    [GeneratedRegex(@"<!--\s*#|(^|\s)#(if|elseif|else|endif)\b")]
    private static partial Regex LeftoverDirective();
}
