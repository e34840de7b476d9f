using AuthTemplate.Api.Configuration;
using AuthTemplate.Api.Data;
using AuthTemplate.Api.Health;
using AuthTemplate.Api.Hosting;

var builder = WebApplication.CreateBuilder(args);

builder.Services.AddValidatedSettings();
builder.Services.AddDatabase();
builder.Services.AddHealthEndpoints();

var app = builder.Build();

app.MapHealthEndpoints();

return await app.RunCommandOrServeAsync(args);
