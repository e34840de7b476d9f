using System.Text.Json;
using Contoso.Orders.Api.Auth;
using Contoso.Orders.Api.Configuration;
using Contoso.Orders.Api.Data;
using Contoso.Orders.Api.Security;
using Fido2NetLib;
using Fido2NetLib.Exceptions;
using Fido2NetLib.Objects;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Contoso.Orders.Api.Passkeys;

/// <summary>
/// Signing in with a passkey, without an email: the options name no credential, so the authenticator offers the
/// passkeys it holds for the rpId, and its answer says which one (and whose) it used. A passkey proves possession of
/// the device and, with user verification required, its owner's PIN or biometric: two factors, so no second step
/// follows. Every refusal gets one answer; the log says which it was.
/// </summary>
public sealed class PasskeyLogin(
    AppDbContext db, IFido2 fido2, PasskeyFlows flows, TokenIssuer tokens, PasskeyMail mail, IOptions<AuthSettings> settings, TimeProvider time,
    SecurityEvents events, ILogger<PasskeyLogin> logger)
{
    public async Task<PasskeyOptionsResponse> BeginAsync(CancellationToken cancellationToken)
    {
        var options = fido2.GetAssertionOptions(new GetAssertionOptionsParams
        {
            AllowedCredentials = [],
            UserVerification = UserVerificationRequirement.Required,
        });
        var json = options.ToJson();
        var flowId = await flows.StartAsync(PasskeyFlowPurpose.SignIn, userId: null, json, cancellationToken);
        return new PasskeyOptionsResponse(flowId, JsonSerializer.Deserialize<JsonElement>(json));
    }

    /// <summary>Tokens for a verified answer to a live flow from an active, confirmed account's passkey; null otherwise.</summary>
    public async Task<TokenResponse?> CompleteAsync(string flowId, AuthenticationResponseJson credential, CancellationToken cancellationToken)
    {
        var options = await flows.TakeAsync(flowId, PasskeyFlowPurpose.SignIn, userId: null, cancellationToken);
        if (options is null)
        {
            events.LoginFailed(null, LoginFailureReason.UnknownChallenge);
            return null;
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // Held until the end, so that two answers signed by copies of one passkey are judged one after the other
        // against the counter.
        var credentialId = credential.CredentialId;
        var passkey = await db.Set<Passkey>().FromSql($"SELECT * FROM passkeys WHERE credential_id = {credentialId} FOR UPDATE").SingleOrDefaultAsync(cancellationToken);
        if (passkey is null || credential.Response!.UserHandle is null)
        {
            events.LoginFailed(null, LoginFailureReason.UnknownPasskey);
            return null;
        }

        VerifyAssertionResult verified;
        try
        {
            verified = await fido2.MakeAssertionAsync(new MakeAssertionParams
            {
                AssertionResponse = credential.ToFido2(),
                OriginalOptions = AssertionOptions.FromJson(options),
                StoredPublicKey = passkey.PublicKey,
                StoredSignatureCounter = (uint)passkey.SignatureCounter,
                IsUserHandleOwnerOfCredentialIdCallback = (claimed, _) =>
                    Task.FromResult(claimed.UserHandle.AsSpan().SequenceEqual(passkey.UserHandle) && claimed.CredentialId.AsSpan().SequenceEqual(passkey.CredentialId)),
            }, cancellationToken);
        }
        catch (Fido2VerificationException exception) when (exception.Code == Fido2ErrorCode.InvalidSignCount)
        {
            var owner = await db.Users.Where(u => u.Id == passkey.UserId).Select(u => u.Email).SingleAsync(cancellationToken);
            mail.CounterRefused(owner, passkey.Name);
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            events.LoginFailed(passkey.UserId, LoginFailureReason.PasskeyCounterWentBackwards);
            return null;
        }
        catch (Exception exception) when (PasskeyService.IsRefusal(exception))
        {
            logger.LogInformation("A passkey sign-in for user {UserId} was refused: {Reason}", passkey.UserId, exception.Message);
            events.LoginFailed(passkey.UserId, LoginFailureReason.PasskeyRefused);
            return null;
        }

        passkey.SignatureCounter = verified.SignCount;
        passkey.IsBackedUp = verified.IsBackedUp;
        passkey.LastUsedAt = time.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken);

        var user = await db.Users.SingleAsync(u => u.Id == passkey.UserId, cancellationToken);
        if (!user.IsActive || (!user.EmailConfirmed && settings.Value.RequireConfirmedEmail))
        {
            // The counter moves on all the same: the answer was the authenticator's.
            await transaction.CommitAsync(cancellationToken);
            events.LoginFailed(user.Id, user.IsActive ? LoginFailureReason.Unconfirmed : LoginFailureReason.Deactivated);
            return null;
        }

        var issued = await tokens.IssueAsync(user, SignIn.WithPasskey, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        events.LoginSucceeded(user.Id);
        return issued;
    }
}
