using my_api.Api.Data;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace my_api.Api.Passkeys;

/// <summary>
/// Registrations and sign-ins under way, in PostgreSQL so that the answer may reach any replica: each lives
/// <see cref="PasskeySettings.FlowLifetime"/> and is taken once (WebAuthn 13.4.3: a challenge is never accepted twice).
/// </summary>
public sealed class PasskeyFlows(AppDbContext db, TimeProvider time)
{
    /// <summary>The name of the pruning round's advisory lock (see <see cref="SingleReplicaRound"/>).</summary>
    public const string PruningWork = "passkey flow pruning";

    private DbSet<PasskeyFlow> Flows => db.Set<PasskeyFlow>();

    public async Task<Guid> StartAsync(PasskeyFlowPurpose purpose, Guid? userId, string optionsJson, CancellationToken cancellationToken)
    {
        var flow = new PasskeyFlow { Purpose = purpose, UserId = userId, Options = optionsJson, ExpiresAt = time.GetUtcNow() + PasskeySettings.FlowLifetime };
        Flows.Add(flow);
        await db.SaveChangesAsync(cancellationToken);
        return flow.Id;
    }

    /// <summary>
    /// The options of the live flow <paramref name="flowId"/> names, for <paramref name="purpose"/> and (for a
    /// registration) the same user, deleted in the same statement, so that of two answers to one flow only one gets
    /// them; null when there is no such flow. A flow is spent whatever the verdict on its answer.
    /// </summary>
    public async Task<string?> TakeAsync(string flowId, PasskeyFlowPurpose purpose, Guid? userId, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(flowId, out var id))
        {
            return null;
        }

        var now = time.GetUtcNow();
        // A sign-in flow belongs to nobody yet; a registration flow only to the user who began it. Typed, so that a
        // null is still a uuid to PostgreSQL.
        var user = new NpgsqlParameter("user", NpgsqlDbType.Uuid) { Value = (object?)userId ?? DBNull.Value };
        var taken = await db.Database.SqlQuery<string>($"""
            DELETE FROM passkey_flows WHERE id = {id} AND purpose = {(int)purpose} AND user_id IS NOT DISTINCT FROM {user} AND expires_at > {now}
            RETURNING options AS "Value"
            """).ToListAsync(cancellationToken);
        return taken is [var options] ? options : null;
    }

    /// <summary>Deletes flows nobody finished (in a <see cref="PasskeyFlowPruning"/> round); returns how many.</summary>
    public Task<int> PruneAsync()
    {
        var now = time.GetUtcNow();
        return Flows.Where(f => f.ExpiresAt <= now).ExecuteDeleteAsync(CancellationToken.None);
    }
}

/// <summary>Deletes flows that lapsed, once per flow lifetime.</summary>
public sealed class PasskeyFlowPruning(IServiceScopeFactory scopes, ILogger<PasskeyFlowPruning> logger) : PeriodicPruning(scopes, logger)
{
    protected override TimeSpan Interval => PasskeySettings.FlowLifetime;

    protected override string Work => PasskeyFlows.PruningWork;

    protected override string What => "lapsed passkey flows";

    protected override Task<int> PruneAsync(IServiceProvider services) => services.GetRequiredService<PasskeyFlows>().PruneAsync();
}
