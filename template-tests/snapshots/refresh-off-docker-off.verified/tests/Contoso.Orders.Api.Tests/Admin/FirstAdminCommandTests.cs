using Contoso.Orders.Api.Tests.Infrastructure;

namespace Contoso.Orders.Api.Tests.Admin;

/// <summary>
/// The first admin from configuration and the built app's <c>migrate</c> command run as a process: it creates the admin
/// (in CommandLineTests, whose migrate test carries one) and stops on a password the rules refuse.
/// </summary>
[Collection(CommandCollection.Name)]
public sealed class FirstAdminCommandTests
{
    /// <summary>The password rules are in AdminTests; this is the built app stopping on one of them.</summary>
    [Fact]
    public async Task A_listed_admin_password_stops_migrate_with_one_line_that_does_not_echo_it()
    {
        const string password = "qwertyuiop123";
        var result = await ApiProcess.RunAsync(ApiProcess.Production(
            ("ConnectionStrings__Postgres", "Host=127.0.0.1;Database=unused"),
            ("Admin__Email", "root@example.com"),
            ("Admin__Password", password)), "migrate");

        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("Admin:Password is one of the most commonly used passwords", line, StringComparison.Ordinal);
        Assert.DoesNotContain(password, result.StandardError + result.StandardOutput, StringComparison.OrdinalIgnoreCase);
    }
}
