using Contoso.Orders.Api.Admin;
using Contoso.Orders.Api.Account;
using Contoso.Orders.Api.Auth;
using Contoso.Orders.Api.Configuration;
using Contoso.Orders.Api.Data;
using Contoso.Orders.Api.Email;
using Contoso.Orders.Api.ExternalLogins;
using Contoso.Orders.Api.Health;
using Contoso.Orders.Api.Hosting;
using Contoso.Orders.Api.Passkeys;
using Contoso.Orders.Api.Passwords;
using Contoso.Orders.Api.Security;
using Contoso.Orders.Api.Security.SigningKeys;
using Contoso.Orders.Api.Telemetry;
using Contoso.Orders.Api.TwoFactor;
using Contoso.Orders.Api.Users;

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
api.MapAdminEndpoints();

return await app.RunCommandOrServeAsync(args);
