using Contoso.Auth_Api.Api.Admin;
using Contoso.Auth_Api.Api.Account;
using Contoso.Auth_Api.Api.Auth;
using Contoso.Auth_Api.Api.Configuration;
using Contoso.Auth_Api.Api.Data;
using Contoso.Auth_Api.Api.Email;
using Contoso.Auth_Api.Api.ExternalLogins;
using Contoso.Auth_Api.Api.Health;
using Contoso.Auth_Api.Api.Hosting;
using Contoso.Auth_Api.Api.Passkeys;
using Contoso.Auth_Api.Api.Passwords;
using Contoso.Auth_Api.Api.RefreshTokens;
using Contoso.Auth_Api.Api.Security;
using Contoso.Auth_Api.Api.Security.SigningKeys;
using Contoso.Auth_Api.Api.Telemetry;
using Contoso.Auth_Api.Api.TwoFactor;
using Contoso.Auth_Api.Api.Users;

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
