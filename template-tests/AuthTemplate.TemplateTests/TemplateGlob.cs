using System.Text;
using System.Text.RegularExpressions;

namespace AuthTemplate.TemplateTests;

/// <summary>
/// The glob patterns of template.json source modifiers, as the template engine reads them: paths relative to the
/// source folder; '**' spans folders, '*' and '?' stay within one; a pattern without '/' may match a file name alone.
/// </summary>
public sealed class TemplateGlob
{
    readonly Regex regex;
    readonly bool matchesFileNameAlone;

    public TemplateGlob(string pattern)
    {
        Pattern = pattern;
        var normalized = pattern.Replace('\\', '/').TrimStart('!');
        while (normalized.StartsWith("./", StringComparison.Ordinal))
            normalized = normalized[2..];
        normalized = normalized.TrimStart('/');
        matchesFileNameAlone = !normalized.Contains('/');
        regex = new Regex("^" + ToRegex(normalized) + "$", RegexOptions.CultureInvariant);
    }

    public string Pattern { get; }

    public bool IsMatch(string relativePath) =>
        regex.IsMatch(relativePath) || (matchesFileNameAlone && regex.IsMatch(relativePath[(relativePath.LastIndexOf('/') + 1)..]));

    static string ToRegex(string glob)
    {
        var pattern = new StringBuilder();
        for (var index = 0; index < glob.Length; index++)
        {
            var c = glob[index];
            if (c == '*' && index + 1 < glob.Length && glob[index + 1] == '*')
            {
                var followedBySlash = index + 2 < glob.Length && glob[index + 2] == '/';
                pattern.Append(followedBySlash ? "(?:.*/)?" : ".*");
                index += followedBySlash ? 2 : 1;
            }
            else if (c == '*')
                pattern.Append("[^/]*");
            else if (c == '?')
                pattern.Append("[^/]");
            else if (c == '[' && glob.IndexOf(']', index + 1) is var end and > 0)
            {
                pattern.Append('[').Append(glob[(index + 1)..end].Replace("\\", "\\\\")).Append(']');
                index = end;
            }
            else
                pattern.Append(Regex.Escape(c.ToString()));
        }
        return pattern.ToString();
    }
}
