using System.Net;
using System.Text.RegularExpressions;

namespace Contoso.Orders.Api.Email;

/// <summary>An email ready to send: subject, plain text and HTML.</summary>
public sealed record RenderedEmail(string Subject, string Text, string Html);

/// <summary>A template that cannot be rendered: unknown, or missing a value. Retrying does not help.</summary>
public sealed class EmailTemplateException(string message) : Exception(message);

/// <summary>
/// The templates in Email/Templates, built into the assembly: <c>&lt;name&gt;.txt</c> (first line <c>Subject: ...</c>,
/// a blank line, then the plain-text body) and <c>&lt;name&gt;.html</c> (the HTML body). Placeholders are
/// <c>{{Name}}</c>; values are HTML-encoded in the HTML part. No template engine package does only this, so these
/// few lines do it: no logic in templates, nothing to learn.
/// </summary>
public sealed partial class EmailTemplates
{
    private const string ResourcePrefix = "Email.Templates.";
    private const string SubjectPrefix = "Subject:";

    private readonly Dictionary<string, (string Subject, string Text, string Html)> _templates = Load();

    public IReadOnlyCollection<string> Names => _templates.Keys;

    public bool Exists(string name) => _templates.ContainsKey(name);

    public RenderedEmail Render(string name, IReadOnlyDictionary<string, string> values)
    {
        if (!_templates.TryGetValue(name, out var template))
        {
            throw new EmailTemplateException($"There is no email template named '{name}'.");
        }

        // A value with a line break must not start a new header line.
        var subject = Fill(name, template.Subject, values, value => value.ReplaceLineEndings(" "));
        return new RenderedEmail(subject, Fill(name, template.Text, values, value => value), Fill(name, template.Html, values, WebUtility.HtmlEncode));
    }

    private static string Fill(string name, string template, IReadOnlyDictionary<string, string> values, Func<string, string> encode) =>
        Placeholder().Replace(template, match => values.TryGetValue(match.Groups["name"].Value, out var value)
            ? encode(value)
            : throw new EmailTemplateException($"Email template '{name}' needs a value for {match.Value}."));

    private static Dictionary<string, (string Subject, string Text, string Html)> Load()
    {
        var assembly = typeof(EmailTemplates).Assembly;
        string Read(string resource)
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd().ReplaceLineEndings("\n");
        }

        var templates = new Dictionary<string, (string, string, string)>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(resource => resource.StartsWith(ResourcePrefix, StringComparison.Ordinal) && resource.EndsWith(".txt", StringComparison.Ordinal)))
        {
            var name = resource[ResourcePrefix.Length..^".txt".Length];
            var html = $"{ResourcePrefix}{name}.html";
            if (!assembly.GetManifestResourceNames().Contains(html))
            {
                throw new InvalidOperationException($"Email template '{name}' has a .txt but no .html file in Email/Templates.");
            }

            var text = Read(resource);
            var firstLineEnd = text.IndexOf('\n', StringComparison.Ordinal);
            if (!text.StartsWith(SubjectPrefix, StringComparison.Ordinal) || firstLineEnd < 0)
            {
                throw new InvalidOperationException($"Email template '{name}.txt' must start with a '{SubjectPrefix} ...' line.");
            }

            var subject = text[SubjectPrefix.Length..firstLineEnd].Trim();
            var body = text[(firstLineEnd + 1)..].TrimStart('\n');
            templates[name] = (subject, body, Read(html));
        }

        return templates;
    }

    [GeneratedRegex(@"\{\{\s*(?<name>[A-Za-z][A-Za-z0-9]*)\s*\}\}")]
    private static partial Regex Placeholder();
}
