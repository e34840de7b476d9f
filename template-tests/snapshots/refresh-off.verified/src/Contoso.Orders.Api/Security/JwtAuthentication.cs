using Contoso.Orders.Api.Configuration;
using Contoso.Orders.Api.Data;
using Contoso.Orders.Api.Security.SigningKeys;
using Contoso.Orders.Api.Users;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Contoso.Orders.Api.Security;

public static class JwtAuthentication
{
    /// <summary>The access token's claim that names the session it was issued in, where sessions are kept.</summary>
    public const string SessionClaim = "sid";

    /// <summary>The access token's claim that lists how the user signed in (RFC 8176: <c>pwd</c>, <c>otp</c>, ...).</summary>
    public const string MethodsClaim = "amr";

    public static IServiceCollection AddJwtAuthentication(this IServiceCollection services)
    {
        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        services.AddSingleton<IConfigureOptions<JwtBearerOptions>, JwtBearerSetup>();
        services.AddSingleton<AccessTokenService>();
        services.AddSingleton<PasswordHasher>();
        services.AddSingleton<VerifiedSignatures>();
        services.AddScoped<CurrentUser>();
        services.AddScoped<IUserSessionStore, SessionVersions>();
        return services;
    }

    /// <summary>
    /// Token validation as RFC 8725 asks: only our published keys, found by <c>kid</c>, each with its one algorithm
    /// (so that neither <c>alg: none</c> nor HS256 keyed with a public key gets through); the issuer compared exactly;
    /// every time claim checked, against the app's clock, with little skew.
    /// </summary>
    private sealed class JwtBearerSetup(IOptions<JwtSettings> jwt, SigningKeyRing keys, VerifiedSignatures signatures, TimeProvider time) : IConfigureNamedOptions<JwtBearerOptions>
    {
        public void Configure(string? name, JwtBearerOptions options)
        {
            var settings = jwt.Value;
            options.TokenHandlers.Clear();
            options.TokenHandlers.Add(new RememberedTokenHandler(signatures) { MapInboundClaims = false });
            options.MapInboundClaims = false;
            options.TimeProvider = time;
            options.TokenValidationParameters = new TokenValidationParameters
            {
                ValidIssuer = settings.Issuer,
                IssuerValidator = (issuer, _, _) => string.Equals(issuer, settings.Issuer, StringComparison.Ordinal)
                    ? issuer
                    : throw new SecurityTokenInvalidIssuerException("The token's issuer is not this API.") { InvalidIssuer = issuer },
                ValidAudience = settings.Audience,
                IssuerSigningKeyResolver = (_, _, kid, _) => keys.Find(kid) is { } key ? [key.VerificationKey] : [],
                TryAllIssuerSigningKeys = false,
                ValidAlgorithms = keys.Algorithms,
                AlgorithmValidator = (algorithm, key, _, _) => keys.Find(key.KeyId)?.Algorithm == algorithm,
                ValidTypes = [AccessTokenService.TokenType],
                ValidateIssuer = true,
                ValidateAudience = true,
                ValidateLifetime = true,
                ValidateIssuerSigningKey = true,
                SignatureValidator = signatures.Validate,
                RequireSignedTokens = true,
                RequireExpirationTime = true,
                ClockSkew = JwtSettings.ClockSkew,
                // IdentityModel reads the system clock; this reads the app's, the one tokens are signed and keys
                // rotated by, so that the three always agree (and tests can move it).
                LifetimeValidator = (notBefore, expires, _, _) => IsWithinLifetime(notBefore, expires, time.GetUtcNow().UtcDateTime),
                NameClaimType = JwtRegisteredClaimNames.Email,
            };
            options.Events = new JwtBearerEvents { OnTokenValidated = LoadActiveUserAsync };
        }

        public void Configure(JwtBearerOptions options) => Configure(Options.DefaultName, options);

        private static bool IsWithinLifetime(DateTime? notBefore, DateTime? expires, DateTime now) =>
            expires is { } expiry && now < expiry + JwtSettings.ClockSkew && (notBefore is not { } start || start - JwtSettings.ClockSkew <= now);

        // Runs whenever the user is not in the cache: compiled once, so that no request pays for translating the query.
        private static readonly Func<AppDbContext, Guid, CancellationToken, Task<UserSnapshot?>> ActiveUserById =
            EF.CompileAsyncQuery((AppDbContext db, Guid userId, CancellationToken _) =>
                db.Users.Where(u => u.Id == userId && u.IsActive)
                    .Select(u => new UserSnapshot
                    {
                        Id = u.Id,
                        Email = u.Email,
                        NormalizedEmail = u.NormalizedEmail,
                        IsActive = u.IsActive,
                        EmailConfirmed = u.EmailConfirmed,
                        SessionVersion = u.SessionVersion,
                        TwoFactorEnabled = u.TwoFactorEnabled,
                        Role = u.Role,
                        CreatedAt = u.CreatedAt,
                    })
                    .SingleOrDefault());

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
            var cache = services.GetRequiredService<UserCache>();
            if (!cache.TryGet(userId, out var user))
            {
                // Taken before the read: if the user changes while the row is on its way, the stale row is not kept.
                var generation = cache.Generation;
                var loaded = await ActiveUserById(services.GetRequiredService<AppDbContext>(), userId, context.HttpContext.RequestAborted);
                if (loaded is null)
                {
                    // An entry kept from before (while the cache was not serving for a moment) must not let the user
                    // in again once it serves.
                    cache.Evict(userId);
                    context.Fail("The user no longer exists or is deactivated.");
                    return;
                }

                user = loaded with
                {
                    EndedSessions = await services.GetRequiredService<UserSessions>().EndedSessionsAsync(userId, context.HttpContext.RequestAborted),
                };
                cache.Add(user, generation);
            }

            // A token without the claim predates session versions; it counts as issued under the first one.
            var sessionVersion = token.TryGetPayloadValue<int>(SessionVersions.ClaimType, out var version) ? version : 0;
            if (sessionVersion != user.SessionVersion)
            {
                context.Fail("The user's sessions ended after the token was issued.");
                return;
            }

            Guid? session = token.TryGetPayloadValue<string>(SessionClaim, out var sid) && Guid.TryParse(sid, out var sessionId) ? sessionId : null;
            if (session is { } ended && user.EndedSessions.Contains(ended))
            {
                context.Fail("The token's session ended.");
                return;
            }

            services.GetRequiredService<CurrentUser>().Set(user, session);
        }
    }
}
