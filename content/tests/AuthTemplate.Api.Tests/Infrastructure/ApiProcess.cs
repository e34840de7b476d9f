using System.Diagnostics;

namespace AuthTemplate.Api.Tests.Infrastructure;

/// <summary>Runs the built API as its own process, the way a container or a deployment script runs it.</summary>
public static class ApiProcess
{
    public sealed record Result(int ExitCode, string StandardOutput, string StandardError);

    public static async Task<Result> RunAsync(IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        using var process = Start(environment, args);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"`{string.Join(' ', args)}` did not exit within a minute.");
        }

        var result = new Result(process.ExitCode, await output, await error);
        TestRun.Logs.Append($"{string.Join(' ', args)}: {result.StandardOutput}\n{result.StandardError}");
        return result;
    }

    /// <summary>Starts the API without waiting for it; the caller stops it.</summary>
    public static Process Start(IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        var apiAssembly = typeof(Program).Assembly.Location;
        var startInfo = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(apiAssembly)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        startInfo.ArgumentList.Add(apiAssembly);
        foreach (var arg in args)
        {
            startInfo.ArgumentList.Add(arg);
        }

        // Nothing from the test runner's own environment may decide which database the process uses, nor where its
        // telemetry goes.
        var telemetrySettings = startInfo.Environment.Keys.Where(key => key.StartsWith("OTEL_", StringComparison.Ordinal));
        foreach (var inherited in new[] { "ConnectionStrings__Postgres", "DATABASE_URL", "ASPNETCORE_ENVIRONMENT", "DOTNET_ENVIRONMENT" }.Concat(telemetrySettings).ToList())
        {
            startInfo.Environment.Remove(inherited);
        }

        foreach (var (key, value) in environment)
        {
            if (value is null)
            {
                startInfo.Environment.Remove(key);
                continue;
            }

            startInfo.Environment[key] = value;
            if (key.Contains("Key", StringComparison.Ordinal) || key.Contains("Password", StringComparison.Ordinal))
            {
                TestRun.RememberSecret(value);
            }
            else if (key.StartsWith("ConnectionStrings", StringComparison.Ordinal) && value is not null)
            {
                TestRun.RememberDatabasePassword(value);
            }
        }

        return Process.Start(startInfo)!;
    }
}
