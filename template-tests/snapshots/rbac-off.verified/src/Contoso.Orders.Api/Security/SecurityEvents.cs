using System.Diagnostics.Metrics;
using Contoso.Orders.Api.Telemetry;

namespace Contoso.Orders.Api.Security;

/// <summary>Why a login failed: logged, never told to the client (which gets one answer for all but the last).</summary>
public enum LoginFailureReason
{
    UnknownAccount,
    WrongPassword,
    Deactivated,
    MalformedEmail,
    Unconfirmed,

    /// <summary>A wrong code in a login's second step.</summary>
    WrongCode,

    /// <summary>A second step with an unknown, expired or spent <c>mfaToken</c>, or a passkey's answer to an unknown, expired or spent flow.</summary>
    UnknownChallenge,

    /// <summary>A passkey sign-in with a credential no account holds.</summary>
    UnknownPasskey,

    /// <summary>A passkey sign-in whose answer failed verification (signature, origin, rpId, user verification).</summary>
    PasskeyRefused,

    /// <summary>A passkey signed with a counter not above the last one: a copy of its key may be in use elsewhere.</summary>
    PasskeyCounterWentBackwards,

    /// <summary>An external sign-in the provider refused or answered with an error, or whose ID token failed a check.</summary>
    ExternalSignInRefused,

    /// <summary>A first external sign-in whose provider does not vouch for the address: no account is made from it.</summary>
    ExternalEmailNotVerified,

    /// <summary>A first external sign-in with an account's address, through a provider not trusted with addresses.</summary>
    ExternalLinkRequired,
}

/// <summary>
/// Every security event the API logs, in one place, so that the log inventory in README.md (Security events) is this
/// file. Event ids 9000-9099 are reserved for them; each event's <c>EventName</c> is its name in the OWASP Logging
/// Vocabulary, also written into the message as <c>{SecurityEvent}</c> for collectors that keep only the message, at
/// the level the vocabulary gives it. Fields are ids and the client's address (the forwarded client's, when forwarded
/// headers are trusted): never a password, a token, a hash or an email address.
/// Each event is also counted on the app's meter, by the same call, so that the log and the metric never disagree.
/// </summary>
public sealed partial class SecurityEvents(ILogger<SecurityEvents> logger, IHttpContextAccessor http, IMeterFactory meters)
{
    /// <summary>The counter's name, by OpenTelemetry's naming rules; its <c>event.name</c> tag is the event's name.</summary>
    public const string CounterName = "contoso_orders.security.events";

    public const string EventNameTag = "event.name";

    public const string LoginSuccess = "authn_login_success";
    public const string LoginFail = "authn_login_fail";
    public const string LoginFailMax = "authn_login_fail_max";
    public const string LoginLock = "authn_login_lock";
    public const string PasswordChange = "authn_password_change";
    public const string PasswordChangeFail = "authn_password_change_fail";
    public const string AuthorizationFail = "authz_fail";
    public const string UserCreated = "user_created";
    public const string UserUpdated = "user_updated";
    public const string UserDeletedEvent = "user_deleted";
    public const string RateLimitExceeded = "excess_rate_limit_exceeded";

    // The meter comes from the host's factory under the app's name, so that it is exported with AppTelemetry's (the
    // SDK listens by name) while each host counts its own events (tests run many hosts in one process).
    private readonly Counter<long> _events = meters.Create(AppTelemetry.Name)
        .CreateCounter<long>(CounterName, unit: "{event}", description: "Security events logged, by OWASP logging vocabulary name.");

    private string? ClientAddress => http.HttpContext?.Connection.RemoteIpAddress?.ToString();

    public void LoginSucceeded(Guid userId) =>
        Count(LoginSuccess, () => LogLoginSucceeded(logger, LoginSuccess, userId, ClientAddress));

    /// <summary>A refused login; <paramref name="userId"/> is null when no account has the address.</summary>
    public void LoginFailed(Guid? userId, LoginFailureReason reason) =>
        Count(LoginFail, () => LogLoginFailed(logger, LoginFail, userId, reason, ClientAddress));

    /// <summary>
    /// A login refused unchecked because its email had too many failed logins lately. No user id: the account is not
    /// looked up, so that the refusal is the same whether or not the email has one.
    /// </summary>
    public void LoginThrottled(int maxFailures) =>
        Count(LoginFailMax, () => LogLoginThrottled(logger, LoginFailMax, maxFailures, ClientAddress));

    public void PasswordChanged(Guid userId) =>
        Count(PasswordChange, () => LogPasswordChanged(logger, PasswordChange, userId, "change", ClientAddress));

    /// <summary>A password set with an emailed reset token.</summary>
    public void PasswordReset(Guid userId) =>
        Count(PasswordChange, () => LogPasswordChanged(logger, PasswordChange, userId, "reset", ClientAddress));

    /// <summary>A password change refused because the current password was wrong.</summary>
    public void PasswordChangeFailed(Guid userId) =>
        Count(PasswordChangeFail, () => LogPasswordChangeFailed(logger, PasswordChangeFail, userId, ClientAddress));

    /// <summary>The pipeline refused a request: 401 without a valid token (no user id), 403 without the permission.</summary>
    public void AuthorizationFailed(Guid? userId, string resource, int status) =>
        Count(AuthorizationFail, () => LogAuthorizationFailed(logger, AuthorizationFail, userId, resource, status, ClientAddress));

    /// <summary>A registration created an account (one for an address that has one already creates none, and logs nothing).</summary>
    public void UserRegistered(Guid newUserId) =>
        Count(UserCreated, () => LogUserRegistered(logger, UserCreated, newUserId, ClientAddress));

    public void EmailConfirmed(Guid userId) =>
        Count(UserUpdated, () => LogUserUpdated(logger, UserUpdated, userId, "email_confirmed", userId, ClientAddress));

    /// <summary>The account moved to a new address; neither address is logged.</summary>
    public void EmailChanged(Guid userId) =>
        Count(UserUpdated, () => LogUserUpdated(logger, UserUpdated, userId, "email", userId, ClientAddress));

    /// <summary>The user deleted their own account.</summary>
    public void UserDeleted(Guid userId) =>
        Count(UserDeletedEvent, () => LogUserDeleted(logger, UserDeletedEvent, userId, ClientAddress));

    /// <summary>A request to delete the caller's account gave a wrong password (or code).</summary>
    public void AccountDeletionRefused(Guid userId) =>
        Count(AuthorizationFail, () => LogAuthorizationFailed(logger, AuthorizationFail, userId, "DELETE /api/v1/users/me", StatusCodes.Status400BadRequest, ClientAddress));

    /// <summary>A second step completed with a recovery code: a login, and a recovery code spent.</summary>
    public void LoginSucceededWithRecoveryCode(Guid userId)
    {
        LoginSucceeded(userId);
        Count(UserUpdated, () => LogUserUpdated(logger, UserUpdated, userId, "recovery_code_used", userId, ClientAddress));
    }

    /// <summary>Two-factor requests of the account refused unchecked after too many wrong codes or passwords.</summary>
    public void TwoFactorThrottled(Guid userId) =>
        Count(LoginLock, () => LogCodesThrottled(logger, LoginLock, userId, ClientAddress));

    /// <summary>A request to change the account's second factor gave a wrong password or code.</summary>
    public void TwoFactorChangeRefused(Guid userId, string change) =>
        Count(AuthorizationFail, () => LogAuthorizationFailed(logger, AuthorizationFail, userId, $"POST /api/v1/users/me/two-factor/{change}", StatusCodes.Status400BadRequest, ClientAddress));

    public void TwoFactorEnabled(Guid userId) =>
        Count(UserUpdated, () => LogUserUpdated(logger, UserUpdated, userId, "two_factor_enabled", userId, ClientAddress));

    /// <summary>Two-factor sign-in turned off: by its owner (the same id twice) or by another user.</summary>
    public void TwoFactorDisabled(Guid userId, Guid targetUserId) =>
        Count(UserUpdated, () => LogUserUpdated(logger, UserUpdated, userId, "two_factor_disabled", targetUserId, ClientAddress));

    public void RecoveryCodesRenewed(Guid userId) =>
        Count(UserUpdated, () => LogUserUpdated(logger, UserUpdated, userId, "recovery_codes", userId, ClientAddress));

    public void PasskeyAdded(Guid userId) =>
        Count(UserUpdated, () => LogUserUpdated(logger, UserUpdated, userId, "passkey_added", userId, ClientAddress));

    public void PasskeyRemoved(Guid userId) =>
        Count(UserUpdated, () => LogUserUpdated(logger, UserUpdated, userId, "passkey_removed", userId, ClientAddress));

    /// <summary>A request to add or remove a passkey gave a wrong password, or an answer that failed verification.</summary>
    public void PasskeyChangeRefused(Guid userId, string resource) =>
        Count(AuthorizationFail, () => LogAuthorizationFailed(logger, AuthorizationFail, userId, resource, StatusCodes.Status400BadRequest, ClientAddress));

    public void ExternalLoginLinked(Guid userId, string provider) =>
        Count(UserUpdated, () => LogUserUpdated(logger, UserUpdated, userId, $"external_login_linked:{provider}", userId, ClientAddress));

    public void ExternalLoginUnlinked(Guid userId, string provider) =>
        Count(UserUpdated, () => LogUserUpdated(logger, UserUpdated, userId, $"external_login_unlinked:{provider}", userId, ClientAddress));

    /// <summary>A request to link or unlink a provider gave a wrong password, would leave no way to sign in, or met an identity linked elsewhere.</summary>
    public void ExternalLoginChangeRefused(Guid userId, string resource) =>
        Count(AuthorizationFail, () => LogAuthorizationFailed(logger, AuthorizationFail, userId, resource, StatusCodes.Status400BadRequest, ClientAddress));

    /// <summary>The rate limiter refused a request; the user id is the authenticated caller's, when there is one.</summary>
    public void RateLimitExceededFor(Guid? userId, string resource) =>
        Count(RateLimitExceeded, () => LogRateLimitExceeded(logger, RateLimitExceeded, userId, resource, ClientAddress));

    private void Count(string name, Action log)
    {
        log();
        _events.Add(1, new KeyValuePair<string, object?>(EventNameTag, name));
    }

    [LoggerMessage(EventId = 9000, EventName = LoginSuccess, Level = LogLevel.Information,
        Message = "{SecurityEvent}: user {UserId} logged in from {ClientAddress}")]
    private static partial void LogLoginSucceeded(ILogger logger, string securityEvent, Guid userId, string? clientAddress);

    [LoggerMessage(EventId = 9001, EventName = LoginFail, Level = LogLevel.Warning,
        Message = "{SecurityEvent}: login refused for user {UserId} ({Reason}) from {ClientAddress}")]
    private static partial void LogLoginFailed(ILogger logger, string securityEvent, Guid? userId, LoginFailureReason reason, string? clientAddress);

    [LoggerMessage(EventId = 9004, EventName = LoginFailMax, Level = LogLevel.Warning,
        Message = "{SecurityEvent}: login refused unchecked after {MaxFailures} failed logins for its email, from {ClientAddress}")]
    private static partial void LogLoginThrottled(ILogger logger, string securityEvent, int maxFailures, string? clientAddress);

    [LoggerMessage(EventId = 9006, EventName = LoginLock, Level = LogLevel.Warning,
        Message = "{SecurityEvent}: two-factor requests of user {UserId} refused unchecked after too many wrong codes, from {ClientAddress}")]
    private static partial void LogCodesThrottled(ILogger logger, string securityEvent, Guid userId, string? clientAddress);


    [LoggerMessage(EventId = 9002, EventName = PasswordChange, Level = LogLevel.Information,
        Message = "{SecurityEvent}: user {UserId} set a new password ({Method}) from {ClientAddress}")]
    private static partial void LogPasswordChanged(ILogger logger, string securityEvent, Guid userId, string method, string? clientAddress);

    [LoggerMessage(EventId = 9003, EventName = PasswordChangeFail, Level = LogLevel.Critical,
        Message = "{SecurityEvent}: user {UserId} gave a wrong current password to change it, from {ClientAddress}")]
    private static partial void LogPasswordChangeFailed(ILogger logger, string securityEvent, Guid userId, string? clientAddress);

    [LoggerMessage(EventId = 9020, EventName = AuthorizationFail, Level = LogLevel.Critical,
        Message = "{SecurityEvent}: {Status} for user {UserId} on {Resource} from {ClientAddress}")]
    private static partial void LogAuthorizationFailed(ILogger logger, string securityEvent, Guid? userId, string resource, int status, string? clientAddress);

    [LoggerMessage(EventId = 9040, EventName = UserCreated, Level = LogLevel.Warning,
        Message = "{SecurityEvent}: registration created user {NewUserId} from {ClientAddress}")]
    private static partial void LogUserRegistered(ILogger logger, string securityEvent, Guid newUserId, string? clientAddress);

    /// <summary>An account's attribute changed: by its owner (the same id twice) or by another user.</summary>
    [LoggerMessage(EventId = 9041, EventName = UserUpdated, Level = LogLevel.Warning,
        Message = "{SecurityEvent}: user {UserId} updated {Attribute} of user {TargetUserId} from {ClientAddress}")]
    private static partial void LogUserUpdated(ILogger logger, string securityEvent, Guid userId, string attribute, Guid targetUserId, string? clientAddress);

    [LoggerMessage(EventId = 9042, EventName = UserDeletedEvent, Level = LogLevel.Warning,
        Message = "{SecurityEvent}: user {UserId} deleted their account from {ClientAddress}")]
    private static partial void LogUserDeleted(ILogger logger, string securityEvent, Guid userId, string? clientAddress);

    [LoggerMessage(EventId = 9050, EventName = RateLimitExceeded, Level = LogLevel.Warning,
        Message = "{SecurityEvent}: too many requests to {Resource} from {ClientAddress} (user {UserId})")]
    private static partial void LogRateLimitExceeded(ILogger logger, string securityEvent, Guid? userId, string resource, string? clientAddress);


    // The refresh-token feature's events.
    public const string TokenCreated = "authn_token_created";
    public const string TokenRevoked = "authn_token_revoked";
    public const string TokenReuse = "authn_token_reuse";

    /// <summary>A login started a refresh-token family; the family's id names it, never the token.</summary>
    public void RefreshFamilyCreated(Guid userId, Guid familyId) =>
        Count(TokenCreated, () => LogRefreshFamilyCreated(logger, TokenCreated, userId, familyId, ClientAddress));

    /// <summary>One family revoked (a logout, or a refresh with a deactivated user's token): its live tokens.</summary>
    public void RefreshFamilyRevoked(Guid userId, Guid familyId, string reason, int tokens) =>
        Count(TokenRevoked, () => LogRefreshTokensRevoked(logger, TokenRevoked, tokens, userId, reason, familyId, ClientAddress));

    /// <summary>Every family of the user revoked: a logout from everywhere, a password change or reset, a deactivation.</summary>
    public void AllRefreshFamiliesRevoked(Guid userId, int tokens) =>
        Count(TokenRevoked, () => LogRefreshTokensRevoked(logger, TokenRevoked, tokens, userId, "every session ended", null, ClientAddress));

    /// <summary>A spent refresh token presented again: its family was revoked.</summary>
    public void RefreshTokenReused(Guid userId, Guid familyId) =>
        Count(TokenReuse, () => LogRefreshTokenReused(logger, TokenReuse, userId, familyId, ClientAddress));

    [LoggerMessage(EventId = 9010, EventName = TokenCreated, Level = LogLevel.Information,
        Message = "{SecurityEvent}: refresh-token family {FamilyId} started for user {UserId} from {ClientAddress}")]
    private static partial void LogRefreshFamilyCreated(ILogger logger, string securityEvent, Guid userId, Guid familyId, string? clientAddress);

    /// <summary>One family (<paramref name="familyId"/>) or, when it is null, every family of the user.</summary>
    [LoggerMessage(EventId = 9011, EventName = TokenRevoked, Level = LogLevel.Information,
        Message = "{SecurityEvent}: {TokenCount} live refresh tokens of user {UserId} revoked ({Reason}; family {FamilyId}) from {ClientAddress}")]
    private static partial void LogRefreshTokensRevoked(ILogger logger, string securityEvent, int tokenCount, Guid userId, string reason, Guid? familyId, string? clientAddress);

    [LoggerMessage(EventId = 9012, EventName = TokenReuse, Level = LogLevel.Critical,
        Message = "{SecurityEvent}: a spent refresh token of user {UserId} was presented again from {ClientAddress}; its family {FamilyId} is revoked")]
    private static partial void LogRefreshTokenReused(ILogger logger, string securityEvent, Guid userId, Guid familyId, string? clientAddress);
}
