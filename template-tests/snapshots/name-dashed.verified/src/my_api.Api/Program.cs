using my_api.Api.Configuration;
using my_api.Api.Data;
using my_api.Api.Health;
using my_api.Api.Hosting;

var builder = WebApplication.CreateBuilder(args);

builder.Services.AddValidatedSettings();
builder.Services.AddDatabase();
builder.Services.AddHealthEndpoints();

var app = builder.Build();

app.MapHealthEndpoints();

return await app.RunCommandOrServeAsync(args);
