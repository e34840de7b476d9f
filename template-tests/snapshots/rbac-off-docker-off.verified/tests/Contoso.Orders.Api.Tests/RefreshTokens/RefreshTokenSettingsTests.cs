using Contoso.Orders.Api.RefreshTokens;

namespace Contoso.Orders.Api.Tests.RefreshTokens;

public sealed class RefreshTokenSettingsTests
{
    [Theory]
    [InlineData(14, 30, true)]
    [InlineData(14, 14, true)]
    [InlineData(14, 13, false)]
    [InlineData(14, 3651, false)]
    public void A_family_lives_at_least_as_long_as_one_token(int tokenDays, int familyDays, bool valid)
    {
        var result = new RefreshTokenSettingsValidator().Validate(null,
            new RefreshTokenSettings { RefreshTokenDays = tokenDays, RefreshTokenFamilyDays = familyDays });

        Assert.Equal(valid, result.Succeeded);
        if (!valid)
        {
            Assert.Contains("Jwt:RefreshTokenFamilyDays", result.FailureMessage);
        }
    }
}
