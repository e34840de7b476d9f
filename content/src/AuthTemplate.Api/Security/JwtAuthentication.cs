using AuthTemplate.Api.Configuration;
using AuthTemplate.Api.Data;
using AuthTemplate.Api.Domain;
using AuthTemplate.Api.Users;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace AuthTemplate.Api.Security;

public static class JwtAuthentication
{
    public static IServiceCollection AddJwtAuthentication(this IServiceCollection services)
    {
        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        services.AddSingleton<IConfigureOptions<JwtBearerOptions>, JwtBearerSetup>();
        services.AddSingleton<AccessTokenService>();
        services.AddSingleton<PasswordHasher>();
        services.AddScoped<CurrentUser>();
        services.AddScoped<IUserSessionStore, SessionVersions>();
        return services;
    }

    /// <summary>Token validation as RFC 8725 asks: one pinned algorithm, every time claim checked, little skew.</summary>
    private sealed class JwtBearerSetup(IOptions<JwtSettings> jwt) : IConfigureNamedOptions<JwtBearerOptions>
    {
        public void Configure(string? name, JwtBearerOptions options)
        {
            var settings = jwt.Value;
            options.MapInboundClaims = false;
            options.TokenValidationParameters = new TokenValidationParameters
            {
                ValidIssuer = settings.Issuer,
                ValidAudience = settings.Audience,
                IssuerSigningKey = settings.CreateSigningKey(),
                ValidAlgorithms = [settings.SecurityAlgorithm!],
                ValidTypes = [AccessTokenService.TokenType],
                ValidateIssuer = true,
                ValidateAudience = true,
                ValidateLifetime = true,
                ValidateIssuerSigningKey = true,
                RequireSignedTokens = true,
                RequireExpirationTime = true,
                ClockSkew = TimeSpan.FromSeconds(30),
                NameClaimType = JwtRegisteredClaimNames.Email,
            };
            options.Events = new JwtBearerEvents { OnTokenValidated = LoadActiveUserAsync };
        }

        public void Configure(JwtBearerOptions options) => Configure(Options.DefaultName, options);

        // Runs on every authenticated request: compiled once, so that no request pays for translating the query.
        private static readonly Func<AppDbContext, Guid, CancellationToken, Task<User?>> ActiveUserById =
            EF.CompileAsyncQuery((AppDbContext db, Guid userId, CancellationToken _) =>
                db.Users.AsNoTracking().SingleOrDefault(u => u.Id == userId && u.IsActive));

        private static async Task LoadActiveUserAsync(TokenValidatedContext context)
        {
            if (context.SecurityToken is not JsonWebToken token
                || !token.TryGetPayloadValue<long>(JwtRegisteredClaimNames.Nbf, out _)
                || !Guid.TryParse(token.Subject, out var userId))
            {
                context.Fail("The access token lacks nbf or a valid sub.");
                return;
            }

            var services = context.HttpContext.RequestServices;
            var user = await ActiveUserById(services.GetRequiredService<AppDbContext>(), userId, context.HttpContext.RequestAborted);
            if (user is null)
            {
                context.Fail("The user no longer exists or is deactivated.");
                return;
            }

            // A token without the claim predates session versions; it counts as issued under the first one.
            var sessionVersion = token.TryGetPayloadValue<int>(SessionVersions.ClaimType, out var version) ? version : 0;
            if (sessionVersion != user.SessionVersion)
            {
                context.Fail("The user's sessions ended after the token was issued.");
                return;
            }

            services.GetRequiredService<CurrentUser>().Set(user);
        }
    }
}
