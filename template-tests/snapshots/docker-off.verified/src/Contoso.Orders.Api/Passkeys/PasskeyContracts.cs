using System.Text.Json;
using System.Text.Json.Serialization;
using Contoso.Orders.Api.Auth;
using Fido2NetLib;
using Fido2NetLib.Objects;
using Microsoft.IdentityModel.Tokens;

namespace Contoso.Orders.Api.Passkeys;

public sealed record PasskeyOptionsRequest(string? Password)
{
    public Dictionary<string, string[]> Validate() => ValidationErrors.Of(
        ("password", string.IsNullOrEmpty(Password) ? "Password is required." : null));
}

public sealed record AddPasskeyRequest(string? FlowId, string? Name, RegistrationResponseJson? Credential)
{
    public Dictionary<string, string[]> Validate() => ValidationErrors.Of(
        ("flowId", string.IsNullOrWhiteSpace(FlowId) ? "The flowId of the options is required." : null),
        ("name", NameProblem(Name)),
        ("credential", Credential is null ? "The credential (credential.toJSON() of navigator.credentials.create) is required." : Credential.Problem()));

    private static string? NameProblem(string? name) =>
        string.IsNullOrWhiteSpace(name) ? "Name is required: something its owner will recognize, such as \"Work laptop\"."
        : name.Trim().Length > Passkey.MaxNameLength ? $"Name must be at most {Passkey.MaxNameLength} characters."
        : name.Any(char.IsControl) ? "Name must not contain control characters."
        : null;
}

public sealed record RemovePasskeyRequest(string? Password)
{
    public Dictionary<string, string[]> Validate() => ValidationErrors.Of(
        ("password", string.IsNullOrEmpty(Password) ? "Password is required." : null));
}

public sealed record PasskeySignInRequest(string? FlowId, AuthenticationResponseJson? Credential)
{
    public Dictionary<string, string[]> Validate() => ValidationErrors.Of(
        ("flowId", string.IsNullOrWhiteSpace(FlowId) ? "The flowId of the options is required." : null),
        ("credential", Credential is null ? "The credential (credential.toJSON() of navigator.credentials.get) is required." : Credential.Problem()));
}

/// <summary>
/// A flow begun: its id, to send back with the authenticator's answer, and the options to hand to
/// <c>PublicKeyCredential.parseCreationOptionsFromJSON</c> or <c>parseRequestOptionsFromJSON</c> as they are.
/// </summary>
public sealed record PasskeyOptionsResponse(Guid FlowId, JsonElement Options);

public sealed record PasskeyResponse(Guid Id, string Name, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt)
{
    public static PasskeyResponse From(Passkey passkey) => new(passkey.Id, passkey.Name, passkey.CreatedAt, passkey.LastUsedAt);
}

/// <summary>
/// WebAuthn's <c>RegistrationResponseJSON</c>, as <c>credential.toJSON()</c> gives it: binary members in base64url.
/// Members the API does not use (and those a later browser adds) are ignored rather than refused: the object is the
/// browser's, not the client's.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Skip)]
public sealed record RegistrationResponseJson(string? Id, string? RawId, string? Type, AttestationResponseJson? Response)
{
    public string? Problem() => Response is null || !Base64Url.IsValid(RawId) || !Base64Url.IsValid(Response.ClientDataJSON) || !Base64Url.IsValid(Response.AttestationObject)
        ? "The credential must be a RegistrationResponseJSON: rawId, and response.clientDataJSON and response.attestationObject in base64url."
        : null;

    public AuthenticatorAttestationRawResponse ToFido2() => new()
    {
        Id = Id ?? RawId!,
        RawId = Base64UrlEncoder.DecodeBytes(RawId),
        Type = PublicKeyCredentialType.PublicKey,
        Response = new AuthenticatorAttestationRawResponse.AttestationResponse
        {
            AttestationObject = Base64UrlEncoder.DecodeBytes(Response!.AttestationObject),
            ClientDataJson = Base64UrlEncoder.DecodeBytes(Response.ClientDataJSON),
            Transports = Response.Transports?.Select(PasskeyTransports.Parse).OfType<AuthenticatorTransport>().ToArray() ?? [],
        },
        ClientExtensionResults = new AuthenticationExtensionsClientOutputs(),
    };
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Skip)]
public sealed record AttestationResponseJson(string? ClientDataJSON, string? AttestationObject, string[]? Transports);

/// <summary>WebAuthn's <c>AuthenticationResponseJSON</c>, as <c>credential.toJSON()</c> gives it.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Skip)]
public sealed record AuthenticationResponseJson(string? Id, string? RawId, string? Type, AssertionResponseJson? Response)
{
    public string? Problem() => Response is null || !Base64Url.IsValid(RawId) || !Base64Url.IsValid(Response.ClientDataJSON)
        || !Base64Url.IsValid(Response.AuthenticatorData) || !Base64Url.IsValid(Response.Signature)
        || (Response.UserHandle is not null && !Base64Url.IsValid(Response.UserHandle))
        ? "The credential must be an AuthenticationResponseJSON: rawId, and response.clientDataJSON, response.authenticatorData and response.signature in base64url."
        : null;

    public byte[] CredentialId => Base64UrlEncoder.DecodeBytes(RawId);

    public AuthenticatorAssertionRawResponse ToFido2() => new()
    {
        Id = Id ?? RawId!,
        RawId = CredentialId,
        Type = PublicKeyCredentialType.PublicKey,
        Response = new AuthenticatorAssertionRawResponse.AssertionResponse
        {
            AuthenticatorData = Base64UrlEncoder.DecodeBytes(Response!.AuthenticatorData),
            Signature = Base64UrlEncoder.DecodeBytes(Response.Signature),
            ClientDataJson = Base64UrlEncoder.DecodeBytes(Response.ClientDataJSON),
            UserHandle = Response.UserHandle is null ? null : Base64UrlEncoder.DecodeBytes(Response.UserHandle),
        },
        ClientExtensionResults = new AuthenticationExtensionsClientOutputs(),
    };
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Skip)]
public sealed record AssertionResponseJson(string? ClientDataJSON, string? AuthenticatorData, string? Signature, string? UserHandle);

/// <summary>Base64url as WebAuthn's JSON forms write it: unpadded, at most 64 KiB of text.</summary>
internal static class Base64Url
{
    public static bool IsValid(string? text) =>
        !string.IsNullOrEmpty(text) && text.Length <= 65_536 && text.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_') && text.Length % 4 != 1;
}

internal static class PasskeyTransports
{
    public static AuthenticatorTransport? Parse(string? transport) => transport switch
    {
        "usb" => AuthenticatorTransport.Usb,
        "nfc" => AuthenticatorTransport.Nfc,
        "ble" => AuthenticatorTransport.Ble,
        "internal" => AuthenticatorTransport.Internal,
        "hybrid" => AuthenticatorTransport.Hybrid,
        "smart-card" => AuthenticatorTransport.SmartCard,
        _ => null,
    };

    public static string Name(AuthenticatorTransport transport) => transport switch
    {
        AuthenticatorTransport.Usb => "usb",
        AuthenticatorTransport.Nfc => "nfc",
        AuthenticatorTransport.Ble => "ble",
        AuthenticatorTransport.Internal => "internal",
        AuthenticatorTransport.Hybrid => "hybrid",
        _ => "smart-card",
    };
}
