namespace AuthTemplate.TemplateTests;

/// <summary>The glob reading used to check template.json source modifiers.</summary>
public sealed class TemplateGlobTests
{
    [Theory]
    [InlineData("**/*.cs", "src/Api/Program.cs", true)]
    [InlineData("**/*.cs", "Program.cs", true)]
    [InlineData("src/Api/Auth/**", "src/Api/Auth/Refresh/RefreshTokenStore.cs", true)]
    [InlineData("src/Api/Auth/**/*", "src/Api/Auth/TokenService.cs", true)]
    [InlineData("src/*.cs", "src/Api/Program.cs", false)]
    [InlineData("Dockerfile", "Dockerfile", true)]
    [InlineData("Dockerfile", "src/Api/Dockerfile", true)]
    [InlineData("docker-compose.yml", "compose.yml", false)]
    [InlineData("./.github/workflows/*.yml", ".github/workflows/ci.yml", true)]
    [InlineData("**/[Bb]in/**", "src/Api/bin/Debug/app.dll", true)]
    [InlineData("src/Api/Roles?.cs", "src/Api/Roles.cs", false)]
    public void Matches_like_the_template_engine(string pattern, string path, bool expected) =>
        Assert.Equal(expected, new TemplateGlob(pattern).IsMatch(path));
}
