using System.Diagnostics;
using System.Text;

namespace AuthTemplate.TemplateTests;

/// <summary>What a finished (or timed-out) command did.</summary>
public sealed record CommandResult(
    string CommandLine, string WorkingDirectory, int ExitCode, bool TimedOut, TimeSpan Duration,
    string Output, string StandardOutput)
{
    public bool Succeeded => ExitCode == 0 && !TimedOut;

    public string OutputTail(int lines)
    {
        var all = Output.TrimEnd().Split('\n');
        var tail = all.Length <= lines ? all : all[^lines..];
        var skipped = all.Length - tail.Length;
        return (skipped > 0 ? $"  ... ({skipped} earlier lines)\n" : "") + string.Join('\n', tail.Select(line => "  " + line));
    }

    /// <summary>A self-explanatory, multi-line account of the command for a failure message.</summary>
    public string Describe(string headline, int tailLines = 60, string? details = null)
    {
        var outcome = TimedOut ? $"timed out after {Duration.TotalSeconds:F0} s" : $"exit code {ExitCode}, {Duration.TotalSeconds:F1} s";
        var text = new StringBuilder()
            .AppendLine(headline)
            .AppendLine($"Command: {CommandLine}")
            .AppendLine($"In: {WorkingDirectory}")
            .AppendLine($"Result: {outcome}");
        if (!string.IsNullOrWhiteSpace(details))
            text.AppendLine(details.TrimEnd());
        return text.AppendLine($"Output (last {tailLines} lines):").Append(OutputTail(tailLines)).ToString();
    }
}

/// <summary>Runs a program with an argument list, captures its output and stops it (with its children) at a timeout.</summary>
public static class CommandRunner
{
    // The test host runs under `dotnet test`, which exports MSBuild settings meant for itself; a nested
    // `dotnet build` must not inherit them.
    static readonly string[] InheritedVariablePrefixesToDrop = ["MSBUILD", "VSTEST", "TESTINGPLATFORM"];

    // Commands still running when the test run ends (a filtered run does not await every variant) are stopped with it.
    static readonly System.Collections.Concurrent.ConcurrentDictionary<Process, bool> Running = new();

    static CommandRunner() => AppDomain.CurrentDomain.ProcessExit += (_, _) =>
    {
        foreach (var process in Running.Keys)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        }
    };

    public static Task<CommandResult> RunDotnetAsync(
        IEnumerable<string> arguments, string workingDirectory, TimeSpan timeout,
        IReadOnlyDictionary<string, string?>? environment = null) =>
        RunAsync("dotnet", arguments, workingDirectory, timeout, environment);

    /// <param name="environment">Variables to set; a null value removes the variable.</param>
    public static async Task<CommandResult> RunAsync(
        string fileName, IEnumerable<string> arguments, string workingDirectory, TimeSpan timeout,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
            startInfo.ArgumentList.Add(argument);

        foreach (var name in startInfo.Environment.Keys.ToList())
        {
            if (InheritedVariablePrefixesToDrop.Any(prefix => name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)))
                startInfo.Environment.Remove(name);
        }
        startInfo.Environment["DOTNET_NOLOGO"] = "1";
        startInfo.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        startInfo.Environment["DOTNET_CLI_UI_LANGUAGE"] = "en";
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
                startInfo.Environment.Remove(name);
            else
                startInfo.Environment[name] = value;
        }

        var commandLine = FormatCommandLine(fileName, startInfo.ArgumentList);
        var combined = new StringBuilder();
        var standardOutput = new StringBuilder();
        var outputClosed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var errorClosed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var exited = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        using var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) { outputClosed.TrySetResult(); return; }
            lock (combined) { combined.Append(e.Data).Append('\n'); standardOutput.Append(e.Data).Append('\n'); }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) { errorClosed.TrySetResult(); return; }
            lock (combined) combined.Append(e.Data).Append('\n');
        };
        process.Exited += (_, _) => exited.TrySetResult();

        var stopwatch = Stopwatch.StartNew();
        try
        {
            process.Start();
        }
        catch (Exception exception) when (exception is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return new CommandResult(commandLine, workingDirectory, -1, false, stopwatch.Elapsed,
                $"Could not start {fileName}: {exception.Message}", "");
        }
        Running.TryAdd(process, true);
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var timedOut = await Task.WhenAny(exited.Task, Task.Delay(timeout)) != exited.Task;
        if (timedOut)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            await Task.WhenAny(exited.Task, Task.Delay(TimeSpan.FromSeconds(10)));
        }
        Running.TryRemove(process, out _);
        // A build server started by the command may keep the pipes open: wait a little for the last lines only.
        await Task.WhenAny(Task.WhenAll(outputClosed.Task, errorClosed.Task), Task.Delay(TimeSpan.FromSeconds(10)));
        stopwatch.Stop();

        var exitCode = process.HasExited ? process.ExitCode : -1;
        lock (combined)
        {
            return new CommandResult(commandLine, workingDirectory, exitCode, timedOut, stopwatch.Elapsed,
                combined.ToString(), standardOutput.ToString());
        }
    }

    static string FormatCommandLine(string fileName, IEnumerable<string> arguments) =>
        string.Join(' ', new[] { fileName }.Concat(arguments).Select(Quote));

    static string Quote(string argument) =>
        argument.Length > 0 && argument.All(c => char.IsLetterOrDigit(c) || "-_./:=,+@%".Contains(c))
            ? argument
            : "'" + argument.Replace("'", "'\\''") + "'";
}
