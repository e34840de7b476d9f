using Contoso.Orders.Api.Configuration;
using Microsoft.Extensions.Options;

namespace Contoso.Orders.Api.Security.SigningKeys;

/// <summary>The keys as loaded at start-up, or why they could not be: start-up stops on any problem.</summary>
public sealed class LoadedSigningKeys
{
    public IReadOnlyList<SigningKey> Keys { get; internal set; } = [];

    internal List<string> Problems { get; } = [];

    /// <summary>Set when Development generated (or reused) its own key: the file, for the start-up log.</summary>
    internal string? DevelopmentKeyFile { get; set; }
}

public static class SigningKeyRegistration
{
    public static IServiceCollection AddSigningKeys(this IServiceCollection services)
    {
        services.AddOptions<LoadedSigningKeys>()
            .Configure<IOptions<JwtSettings>, IHostEnvironment, TimeProvider>(Load)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<LoadedSigningKeys>, LoadedSigningKeysValidator>();
        services.AddSingleton<SigningKeyRing>();
        services.AddHostedService<DevelopmentKeyNotice>();
        return services;
    }

    private static void Load(LoadedSigningKeys loaded, IOptions<JwtSettings> jwt, IHostEnvironment environment, TimeProvider time)
    {
        JwtSettings settings;
        try
        {
            settings = jwt.Value;
        }
        catch (OptionsValidationException)
        {
            // Jwt's own validation reports it; saying it twice would not help.
            return;
        }

        var configured = settings.SigningKeys;
        if (configured.Count == 0 && environment.IsDevelopment())
        {
            if (DevelopmentSigningKey.Directory(settings.DevelopmentKeyDirectory) is not { } directory)
            {
                loaded.Problems.Add("Jwt:DevelopmentKeyDirectory is not set and the user profile has no application data folder to keep the Development signing key in.");
                return;
            }

            var developmentKey = DevelopmentSigningKey.LoadOrCreate(directory, settings.Algorithm);
            loaded.DevelopmentKeyFile = developmentKey.PemFile;
            configured = [developmentKey];
        }

        loaded.Keys = SigningKeyLoader.Load(configured, settings.Algorithm, time.GetUtcNow(), loaded.Problems);
    }

    private sealed class LoadedSigningKeysValidator : IValidateOptions<LoadedSigningKeys>
    {
        public ValidateOptionsResult Validate(string? name, LoadedSigningKeys options) =>
            options.Problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(options.Problems);
    }

    /// <summary>Says where the Development key is, so that nobody wonders which key signs (the path is no secret).</summary>
    private sealed class DevelopmentKeyNotice(IOptions<LoadedSigningKeys> loaded, ILogger<LoadedSigningKeys> logger) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            if (loaded.Value.DevelopmentKeyFile is { } file)
            {
                logger.LogInformation("Signing access tokens with the Development key in {DevelopmentKeyFile}", file);
            }

            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
