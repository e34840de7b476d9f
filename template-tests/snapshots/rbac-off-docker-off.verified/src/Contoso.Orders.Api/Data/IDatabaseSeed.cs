namespace Contoso.Orders.Api.Data;

/// <summary>
/// Rows a deployment needs, which the <c>migrate</c> command makes sure of once the schema is up to date. Features
/// register their own; the command runs every one registered.
/// </summary>
public interface IDatabaseSeed
{
    Task EnsureAsync(CancellationToken cancellationToken);
}
