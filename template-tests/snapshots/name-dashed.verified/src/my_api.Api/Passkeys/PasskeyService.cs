using System.Data.Common;
using System.Security.Cryptography;
using System.Text.Json;
using my_api.Api.Auth;
using my_api.Api.Data;
using my_api.Api.Security;
using my_api.Api.TwoFactor;
using Fido2NetLib;
using Fido2NetLib.Exceptions;
using Fido2NetLib.Objects;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace my_api.Api.Passkeys;

/// <summary>Why a passkey request was refused: the field at fault, and what to tell the user.</summary>
public sealed record PasskeyRefusal(string Field, string Message);

/// <summary>A passkey request's result: its value, a refusal, no such passkey, or how long the account's attempts are throttled.</summary>
public sealed record PasskeyResult<T>(T? Value, PasskeyRefusal? Refusal = null, TimeSpan? RetryAfter = null, bool NotFound = false)
    where T : class;

/// <summary>
/// A user's passkeys: adding one (options, then the authenticator's answer), listing and removing them. Adding and
/// removing need the password in the same request (ASVS 7.5.1): a stolen access token alone must not plant a passkey
/// that outlives it. Wrong passwords count against the account like wrong two-factor codes.
/// </summary>
public sealed class PasskeyService(
    AppDbContext db, IFido2 fido2, PasskeyFlows flows, PasswordHasher passwords, LoginThrottle throttle, PasskeyMail mail, TimeProvider time,
    SecurityEvents events, ILogger<PasskeyService> logger)
{
    private static readonly PasskeyRefusal WrongPassword = new("password", "Password is incorrect.");

    private DbSet<Passkey> Passkeys => db.Set<Passkey>();

    public async Task<PasskeyResult<PasskeyOptionsResponse>> BeginRegistrationAsync(Guid userId, string password, CancellationToken cancellationToken)
    {
        var refused = await CheckPasswordAsync<PasskeyOptionsResponse>(userId, password, "options", cancellationToken);
        if (refused is not null)
        {
            return refused;
        }

        var email = await db.Users.Where(u => u.Id == userId).Select(u => u.Email).SingleAsync(cancellationToken);
        var existing = await Passkeys.Where(p => p.UserId == userId).Select(p => new { p.CredentialId, p.Transports, p.UserHandle }).ToListAsync(cancellationToken);
        var options = fido2.RequestNewCredential(new RequestNewCredentialParams
        {
            // One handle per user, so that an authenticator replaces its old passkey for the account instead of adding a second.
            User = new Fido2User { Id = existing.FirstOrDefault()?.UserHandle ?? RandomNumberGenerator.GetBytes(32), Name = email, DisplayName = email },
            ExcludeCredentials = existing
                .Select(p => new PublicKeyCredentialDescriptor(PublicKeyCredentialType.PublicKey, p.CredentialId, [.. p.Transports.Select(PasskeyTransports.Parse).OfType<AuthenticatorTransport>()]))
                .ToList(),
            AuthenticatorSelection = new AuthenticatorSelection
            {
                ResidentKey = ResidentKeyRequirement.Required,
                UserVerification = UserVerificationRequirement.Required,
            },
            AttestationPreference = AttestationConveyancePreference.None,
        });
        var json = options.ToJson();
        var flowId = await flows.StartAsync(PasskeyFlowPurpose.Registration, userId, json, cancellationToken);
        return new(new PasskeyOptionsResponse(flowId, JsonSerializer.Deserialize<JsonElement>(json)));
    }

    public async Task<PasskeyResult<PasskeyResponse>> CompleteRegistrationAsync(
        Guid userId, string flowId, string name, RegistrationResponseJson credential, CancellationToken cancellationToken)
    {
        var options = await flows.TakeAsync(flowId, PasskeyFlowPurpose.Registration, userId, cancellationToken);
        if (options is null)
        {
            return new(null, new PasskeyRefusal("flowId", "The flow is unknown, expired or already used: ask for new options."));
        }

        RegisteredPublicKeyCredential registered;
        try
        {
            registered = await fido2.MakeNewCredentialAsync(new MakeNewCredentialParams
            {
                AttestationResponse = credential.ToFido2(),
                OriginalOptions = CredentialCreateOptions.FromJson(options),
                IsCredentialIdUniqueToUserCallback = async (candidate, token) => !await Passkeys.AnyAsync(p => p.CredentialId == candidate.CredentialId, token),
            }, cancellationToken);
        }
        catch (Exception exception) when (IsRefusal(exception))
        {
            logger.LogInformation("A passkey for user {UserId} was refused: {Reason}", userId, exception.Message);
            events.PasskeyChangeRefused(userId, "POST /api/v1/users/me/passkeys");
            return new(null, new PasskeyRefusal("credential", IsDuplicate(exception) ? DuplicateMessage : "The passkey could not be verified."));
        }

        var user = await db.Users.SingleAsync(u => u.Id == userId, cancellationToken);
        var passkey = new Passkey
        {
            UserId = userId,
            CredentialId = registered.Id,
            PublicKey = registered.PublicKey,
            UserHandle = registered.User.Id,
            SignatureCounter = registered.SignCount,
            Transports = [.. (registered.Transports ?? []).Select(PasskeyTransports.Name).Distinct()],
            IsBackupEligible = registered.IsBackupEligible,
            IsBackedUp = registered.IsBackedUp,
            Name = name.Trim(),
            CreatedAt = time.GetUtcNow(),
        };
        Passkeys.Add(passkey);
        mail.Added(user.Email, passkey.Name);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException exception) when (exception.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            // Registered by another request between the check and the insert.
            db.ChangeTracker.Clear();
            return new(null, new PasskeyRefusal("credential", DuplicateMessage));
        }

        events.PasskeyAdded(userId);
        return new(PasskeyResponse.From(passkey));
    }

    public async Task<List<PasskeyResponse>> ListAsync(Guid userId, CancellationToken cancellationToken) =>
        (await Passkeys.AsNoTracking().Where(p => p.UserId == userId).OrderBy(p => p.CreatedAt).ToListAsync(cancellationToken)).Select(PasskeyResponse.From).ToList();

    public async Task<PasskeyResult<PasskeyResponse>> RemoveAsync(Guid userId, Guid passkeyId, string password, CancellationToken cancellationToken)
    {
        var refused = await CheckPasswordAsync<PasskeyResponse>(userId, password, "remove", cancellationToken);
        if (refused is not null)
        {
            return refused;
        }

        var passkey = await Passkeys.SingleOrDefaultAsync(p => p.Id == passkeyId && p.UserId == userId, cancellationToken);
        if (passkey is null)
        {
            return new(null, NotFound: true);
        }

        var email = await db.Users.Where(u => u.Id == userId).Select(u => u.Email).SingleAsync(cancellationToken);
        Passkeys.Remove(passkey);
        mail.Removed(email, passkey.Name);
        await db.SaveChangesAsync(cancellationToken);
        events.PasskeyRemoved(userId);
        return new(PasskeyResponse.From(passkey));
    }

    /// <summary>
    /// The account's throttle, then the password; a wrong one counts against the account (as wrong codes do, under
    /// the same key) and is logged. Null when the request may go on.
    /// </summary>
    private async Task<PasskeyResult<T>?> CheckPasswordAsync<T>(Guid userId, string password, string change, CancellationToken cancellationToken)
        where T : class
    {
        var state = await throttle.CheckKeyAsync(TwoFactorCodes.ThrottleKey(userId), cancellationToken);
        if (state.RetryAfter is { } retryAfter)
        {
            events.TwoFactorThrottled(userId);
            return new(null, RetryAfter: retryAfter);
        }

        var passwordHash = await db.Users.Where(u => u.Id == userId).Select(u => u.PasswordHash).SingleAsync(cancellationToken);
        if (!passwords.Verify(password, passwordHash))
        {
            await throttle.RecordFailureAsync(state);
            events.PasskeyChangeRefused(userId, change == "options" ? "POST /api/v1/users/me/passkeys/options" : "DELETE /api/v1/users/me/passkeys/{id}");
            return new(null, WrongPassword);
        }

        if (state.HasFailures)
        {
            await throttle.ClearAsync(state);
        }

        return null;
    }

    private const string DuplicateMessage = "This passkey is registered already.";

    private static bool IsDuplicate(Exception exception) => exception is Fido2VerificationException { Code: Fido2ErrorCode.NonUniqueCredentialId };

    /// <summary>
    /// The library's verdict on an answer, or an answer it could not even read (CBOR, keys, JSON it decodes itself):
    /// each is the client's fault. A database or a cancellation is not, and goes on up.
    /// </summary>
    internal static bool IsRefusal(Exception exception) =>
        exception is not (OperationCanceledException or DbException or TimeoutException or OutOfMemoryException);
}
