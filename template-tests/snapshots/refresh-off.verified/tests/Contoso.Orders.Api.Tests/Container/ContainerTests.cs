using System.Text.RegularExpressions;

namespace Contoso.Orders.Api.Tests.Container;

/// <summary>
/// Security checklist point 23, read from the Dockerfile and the compose file (building the image needs Docker;
/// CI does that): the container runs as a non-root user, checks its health with the app's own command, bakes in no
/// secret, and compose refuses to start without the secrets it needs.
/// </summary>
public sealed partial class ContainerTests
{
    private static readonly string SolutionDirectory = FindSolutionDirectory();

    [Fact]
    public void The_image_runs_as_a_non_root_user_on_a_non_privileged_port()
    {
        var finalStage = FinalStage();

        var user = Assert.Single(finalStage, line => line.StartsWith("USER ", StringComparison.Ordinal))[5..].Trim();
        Assert.DoesNotMatch("^(root|0)(:|$)", user);
        Assert.Contains(finalStage, line => line.StartsWith("ENV ASPNETCORE_HTTP_PORTS=8080", StringComparison.Ordinal));
        Assert.Contains("EXPOSE 8080", finalStage);
    }

    [Fact]
    public void The_health_check_is_the_apps_own_command_and_needs_no_extra_tool()
    {
        var healthCheck = Assert.Single(FinalStage(), line => line.StartsWith("HEALTHCHECK ", StringComparison.Ordinal));

        Assert.Contains("\"healthcheck\"]", healthCheck);
        Assert.DoesNotContain("curl", healthCheck);
        Assert.DoesNotContain("wget", healthCheck);
    }

    [Fact]
    public void No_secret_is_baked_into_the_image()
    {
        var dockerfile = File.ReadAllLines(Path.Combine(SolutionDirectory, "Dockerfile"));

        Assert.DoesNotContain(dockerfile, line => SecretLooking().IsMatch(line) && (line.StartsWith("ENV ", StringComparison.Ordinal) || line.StartsWith("ARG ", StringComparison.Ordinal)));
        var ignored = File.ReadAllLines(Path.Combine(SolutionDirectory, ".dockerignore"));
        Assert.Contains(".env", ignored);
    }

    [Fact]
    public void Compose_takes_every_secret_from_the_environment_and_refuses_to_start_without_it()
    {
        var compose = File.ReadAllText(Path.Combine(SolutionDirectory, "docker-compose.yml"));
        var example = File.ReadAllText(Path.Combine(SolutionDirectory, ".env.example"));

        var required = RequiredVariable().Matches(compose).Select(match => match.Groups["name"].Value).Distinct().ToList();
        Assert.Contains("POSTGRES_PASSWORD", required);
        Assert.Contains("JWT_SIGNING_KEY_FILE", required);
        Assert.All(required, name => Assert.Contains($"\n{name}=", example));
        Assert.DoesNotMatch(@"(?i)(password|signingkey)(:\s+|=)(?!\$\{)", compose);
    }

    [Fact]
    public void The_signing_key_is_a_file_mounted_as_a_compose_secret_never_an_environment_variable()
    {
        var compose = File.ReadAllText(Path.Combine(SolutionDirectory, "docker-compose.yml"));

        Assert.Matches(@"(?m)^secrets:\n  jwt_signing_key:\n(    #.*\n)*    file: \$\{JWT_SIGNING_KEY_FILE:\?", compose);
        Assert.Contains("Jwt__SigningKeys__0__PemFile: /run/secrets/jwt_signing_key", compose);
        Assert.Equal(2, Regex.Matches(compose, @"(?m)^    secrets:\n      - jwt_signing_key$").Count);
        Assert.DoesNotContain("Jwt__SigningKeys__0__Pem:", compose);
        Assert.DoesNotContain("PRIVATE KEY", compose);
    }

    private static List<string> FinalStage()
    {
        var lines = File.ReadAllLines(Path.Combine(SolutionDirectory, "Dockerfile")).Select(line => line.Trim()).ToList();
        return lines.Skip(lines.FindLastIndex(line => line.StartsWith("FROM ", StringComparison.Ordinal))).ToList();
    }

    private static string FindSolutionDirectory()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Dockerfile")))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException("No Dockerfile above the test assembly: is the solution folder intact?");
    }

    [GeneratedRegex(@"\$\{(?<name>[A-Z_][A-Z0-9_]*):\?")]
    private static partial Regex RequiredVariable();

    [GeneratedRegex("(?i)(password|secret|signingkey|signing_key|token)")]
    private static partial Regex SecretLooking();
}
