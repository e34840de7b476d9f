using System.Text.Json.Serialization;

namespace Contoso.Orders.Api.Hosting;

public static class StrictJson
{
    /// <summary>
    /// Request bodies must say exactly what the contract says: a field the API does not know, or a field sent twice,
    /// is a 400 rather than silently ignored (a client sending <c>"isActive": false</c> learns it has no effect).
    /// </summary>
    public static IServiceCollection AddStrictJson(this IServiceCollection services) =>
        services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
            json.SerializerOptions.AllowDuplicateProperties = false;
        });
}
