using System.Xml.Linq;

namespace AuthTemplate.TemplateTests;

/// <summary>The counters of one or more TRX files (the VSTest results format) and the names of failed tests.</summary>
public sealed record TrxReport(int Total, int Executed, int Passed, int Failed, IReadOnlyList<string> FailedTests)
{
    public static TrxReport ReadAll(IEnumerable<string> trxFiles)
    {
        var reports = trxFiles.Select(Read).ToList();
        return new TrxReport(
            reports.Sum(report => report.Total),
            reports.Sum(report => report.Executed),
            reports.Sum(report => report.Passed),
            reports.Sum(report => report.Failed),
            reports.SelectMany(report => report.FailedTests).ToList());
    }

    public static TrxReport Read(string trxFile)
    {
        var document = XDocument.Load(trxFile);
        var counters = document.Descendants().FirstOrDefault(element => element.Name.LocalName == "Counters")
                       ?? throw new InvalidOperationException($"{trxFile} has no Counters element.");

        var failedTests = document.Descendants()
            .Where(element => element.Name.LocalName == "UnitTestResult" && (string?)element.Attribute("outcome") == "Failed")
            .Select(element =>
            {
                var message = element.Descendants().FirstOrDefault(child => child.Name.LocalName == "Message")?.Value.Trim() ?? "";
                var firstLine = message.Split('\n')[0];
                return $"{(string?)element.Attribute("testName")}: {firstLine}";
            })
            .ToList();

        return new TrxReport(Count(counters, "total"), Count(counters, "executed"), Count(counters, "passed"),
            Count(counters, "failed"), failedTests);
    }

    public override string ToString() =>
        $"total {Total}, executed {Executed}, passed {Passed}, failed {Failed}" +
        string.Concat(FailedTests.Take(20).Select(test => $"\n  failed: {test}"));

    static int Count(XElement counters, string name) => int.TryParse((string?)counters.Attribute(name), out var value) ? value : 0;
}
