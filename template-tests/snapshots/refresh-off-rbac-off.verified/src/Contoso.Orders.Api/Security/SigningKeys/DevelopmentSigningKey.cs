namespace Contoso.Orders.Api.Security.SigningKeys;

/// <summary>
/// In Development, with no key configured, a key generated on first run and kept under the user's profile, the way
/// ASP.NET Core keeps its development certificate: never in the repository, never in generated output, so a newcomer
/// needs nothing and nobody can commit it. It is read only in Development.
/// </summary>
public static class DevelopmentSigningKey
{
    /// <summary>The folder: <c>Jwt:DevelopmentKeyDirectory</c>, else the user's application data (~/.config on Linux).</summary>
    public static string? Directory(string? configured)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return configured;
        }

        var applicationData = Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData, Environment.SpecialFolderOption.DoNotVerify);
        return string.IsNullOrEmpty(applicationData) ? null : Path.Combine(applicationData, "Contoso.Orders", "jwt-signing-keys");
    }

    /// <summary>The key's settings, creating the key file first when it does not exist yet.</summary>
    public static SigningKeySettings LoadOrCreate(string directory, string algorithm)
    {
        var path = Path.Combine(directory, $"development-{algorithm.ToLowerInvariant()}.pem");
        if (!File.Exists(path))
        {
            Create(directory, path, algorithm);
        }

        return new SigningKeySettings { PemFile = path, Algorithm = algorithm };
    }

    private static void Create(string directory, string path, string algorithm)
    {
        if (OperatingSystem.IsWindows())
        {
            System.IO.Directory.CreateDirectory(directory);
        }
        else
        {
            System.IO.Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        // Written aside and moved into place, so that two processes starting at once never read half a key: the
        // first move wins and the other process uses its key.
        var pending = $"{path}.{Guid.NewGuid():N}.tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var writer = new StreamWriter(pending, options))
        {
            writer.Write(SigningKeyLoader.Generate(algorithm));
        }

        try
        {
            File.Move(pending, path, overwrite: false);
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(pending);
        }
    }
}
