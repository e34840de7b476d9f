using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Contoso.Orders.Api.Hosting;

/// <summary>
/// <c>dotnet Contoso.Orders.Api.dll</c> serves the API; <c>dotnet Contoso.Orders.Api.dll migrate</c> applies the database
/// migrations and exits. Both validate the settings first and stop with one line per bad setting.
/// </summary>
public static class CommandLine
{
    public static async Task<int> RunCommandOrServeAsync(this WebApplication app, string[] args)
    {
        // Disposed before the process ends, so that the console logger writes out what it still holds (a command's
        // last line, such as migrate's count, is otherwise lost when its background writer is slow).
        await using var _ = app;
        var command = args is [var first, ..] && !first.StartsWith('-') ? first : null;

        if (!TryValidateSettings(app.Services, out var problem))
        {
            await Console.Error.WriteLineAsync($"Configuration error: {problem}");
            return 1;
        }

        switch (command)
        {
            case null:
                await app.RunAsync();
                return 0;
            case "migrate":
                return await MigrateCommand.RunAsync(app.Services);
            default:
                await Console.Error.WriteLineAsync($"Unknown command '{command}'. Commands: migrate, {HealthCheckCommand.Name}. Without a command the API serves requests.");
                return 2;
        }
    }

    private static readonly Regex UnconvertibleSetting = new(
        "^Failed to convert configuration value .* at '(?<key>[^']+)' to type '(?<type>[^']+)'", RegexOptions.Singleline);

    private static bool TryValidateSettings(IServiceProvider services, out string problem)
    {
        try
        {
            services.GetRequiredService<IStartupValidator>().Validate();
            problem = "";
            return true;
        }
        catch (OptionsValidationException exception)
        {
            problem = string.Join(" ", exception.Failures);
            return false;
        }
        catch (InvalidOperationException exception) when (UnconvertibleSetting.Match(exception.Message) is { Success: true } match)
        {
            // The binder's own message quotes the value, which may be a secret: name only the key and the type.
            problem = $"{match.Groups["key"].Value} must be a value of type {match.Groups["type"].Value}.";
            return false;
        }
        catch (AggregateException exception) when (exception.InnerExceptions.All(inner => inner is OptionsValidationException))
        {
            problem = string.Join(" ", exception.InnerExceptions.Cast<OptionsValidationException>().SelectMany(inner => inner.Failures));
            return false;
        }
    }
}
