using Contoso.Orders.Api.Configuration;
using Microsoft.Extensions.Options;

namespace Contoso.Orders.Api.Hosting;

public static class Cors
{
    public static IServiceCollection AddCorsFromSettings(this IServiceCollection services)
    {
        services.AddCors();
        services.AddOptions<Microsoft.AspNetCore.Cors.Infrastructure.CorsOptions>()
            .Configure<IOptions<CorsSettings>>((cors, settings) => cors.AddDefaultPolicy(policy => policy
                .WithOrigins(settings.Value.AllowedOrigins)
                .AllowAnyHeader()
                .AllowAnyMethod()));
        return services;
    }

    /// <summary>CORS is on only when origins are configured: by default browsers on other origins get no access.</summary>
    public static IApplicationBuilder UseCorsWhenConfigured(this IApplicationBuilder app)
    {
        var settings = app.ApplicationServices.GetRequiredService<IOptions<CorsSettings>>().Value;
        return settings.AllowedOrigins.Length > 0 ? app.UseCors() : app;
    }
}
