using my_api.Api.Admin;
using my_api.Api.Account;
using my_api.Api.Auth;
using my_api.Api.Configuration;
using my_api.Api.Data;
using my_api.Api.Email;
using my_api.Api.ExternalLogins;
using my_api.Api.Health;
using my_api.Api.Hosting;
using my_api.Api.Passkeys;
using my_api.Api.Passwords;
using my_api.Api.RefreshTokens;
using my_api.Api.Security;
using my_api.Api.Security.SigningKeys;
using my_api.Api.Telemetry;
using my_api.Api.TwoFactor;
using my_api.Api.Users;

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
builder.Services.AddRefreshTokens();
builder.Services.AddAdministration();
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
api.MapRefreshTokenEndpoints();
api.MapAdminEndpoints();

return await app.RunCommandOrServeAsync(args);
