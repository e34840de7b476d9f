using Contoso.Orders.Api.Configuration;
using Contoso.Orders.Api.Data;
using Contoso.Orders.Api.Health;
using Contoso.Orders.Api.Hosting;

var builder = WebApplication.CreateBuilder(args);

builder.Services.AddValidatedSettings();
builder.Services.AddDatabase();
builder.Services.AddHealthEndpoints();

var app = builder.Build();

app.MapHealthEndpoints();

return await app.RunCommandOrServeAsync(args);
