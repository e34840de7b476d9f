using Contoso.Auth_Api.Api.Configuration;
using Contoso.Auth_Api.Api.Data;
using Contoso.Auth_Api.Api.Health;
using Contoso.Auth_Api.Api.Hosting;

var builder = WebApplication.CreateBuilder(args);

builder.Services.AddValidatedSettings();
builder.Services.AddDatabase();
builder.Services.AddHealthEndpoints();

var app = builder.Build();

app.MapHealthEndpoints();

return await app.RunCommandOrServeAsync(args);
