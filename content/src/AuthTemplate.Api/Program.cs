#if (Rbac)
using AuthTemplate.Api.Admin;
#endif
using AuthTemplate.Api.Account;
using AuthTemplate.Api.Auth;
using AuthTemplate.Api.Configuration;
using AuthTemplate.Api.Data;
using AuthTemplate.Api.Email;
using AuthTemplate.Api.ExternalLogins;
using AuthTemplate.Api.Health;
using AuthTemplate.Api.Hosting;
using AuthTemplate.Api.Passkeys;
using AuthTemplate.Api.Passwords;
#if (RefreshTokens)
using AuthTemplate.Api.RefreshTokens;
#endif
using AuthTemplate.Api.Security;
using AuthTemplate.Api.Security.SigningKeys;
using AuthTemplate.Api.Telemetry;
using AuthTemplate.Api.TwoFactor;
using AuthTemplate.Api.Users;

if (HealthCheckCommand.IsRequested(args))
{
    return await HealthCheckCommand.RunAsync();
}

var builder = WebApplication.CreateBuilder(args);

builder.AddTelemetry();
builder.Services.AddGracefulShutdown();
builder.Services.AddValidatedSettings();
builder.Services.AddDatabase();
builder.Services.AddApiProblemDetails();
builder.Services.AddStrictJson();
builder.Services.AddSigningKeys();
builder.Services.AddJwtAuthentication();
builder.Services.AddPasswordPolicy();
builder.Services.AddUserCache();
builder.Services.AddSecurityEvents();
builder.Services.AddAuthorizationPolicies();
builder.Services.AddCredentialRateLimiting();
builder.Services.AddCorsFromSettings();
builder.Services.AddApiDocumentation();
builder.Services.AddHealthEndpoints();
builder.Services.AddAuthFeature();
builder.Services.AddUsersFeature();
builder.Services.AddEmail();
builder.Services.AddAccountFeature();
builder.Services.AddTwoFactor();
builder.Services.AddPasskeys();
builder.Services.AddExternalLogins();
#if (RefreshTokens)
builder.Services.AddRefreshTokens();
#endif
#if (Rbac)
builder.Services.AddAdministration();
#endif
builder.WebHost.LimitRequestBodySize();

var app = builder.Build();

app.UseApiPipeline();
app.MapApiDocumentation();
app.MapHealthEndpoints();
app.MapSigningKeyEndpoints();

var api = app.MapGroup("/api/v1");
api.MapAuthEndpoints();
api.MapUserEndpoints();
api.MapAccountEndpoints();
api.MapTwoFactorEndpoints();
api.MapPasskeyEndpoints();
api.MapExternalLoginEndpoints();
#if (RefreshTokens)
api.MapRefreshTokenEndpoints();
#endif
#if (Rbac)
api.MapAdminEndpoints();
#endif

return await app.RunCommandOrServeAsync(args);
