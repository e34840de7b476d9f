namespace Contoso.Orders.Api.Hosting;

public static class RequestLimits
{
    public const long MaxRequestBodyBytes = 1024 * 1024;

    /// <summary>Kestrel refuses longer bodies while reading them.</summary>
    public static IWebHostBuilder LimitRequestBodySize(this IWebHostBuilder webHost) =>
        webHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = MaxRequestBodyBytes);

    /// <summary>Refuses a declared length over the limit before anything reads the body, whatever the server.</summary>
    public static IApplicationBuilder UseRequestBodyLimit(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            if (context.Request.ContentLength > MaxRequestBodyBytes)
            {
                throw new BadHttpRequestException("Request body too large.", StatusCodes.Status413PayloadTooLarge);
            }

            await next(context);
        });
}
