using System.Buffers.Binary;
using System.Formats.Cbor;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.Tokens;

namespace Contoso.Orders.Api.Tests.Passkeys;

/// <summary>What an answer does differently from an honest authenticator on the right page.</summary>
public sealed record Tampering
{
    public static Tampering None { get; } = new();

    /// <summary>The page the browser says the request came from.</summary>
    public string? Origin { get; init; }

    /// <summary>The relying party the authenticator hashes into its data.</summary>
    public string? RpId { get; init; }

    /// <summary>False: the authenticator did not verify its user (no PIN, no biometric).</summary>
    public bool UserVerified { get; init; } = true;

    /// <summary>The signature counter to send instead of the next one.</summary>
    public uint? Counter { get; init; }

    /// <summary>The user handle to send instead of the credential's.</summary>
    public byte[]? UserHandle { get; init; }

    /// <summary>Flip a bit of the signature.</summary>
    public bool BreakSignature { get; init; }
}

/// <summary>
/// A passkey authenticator in software, as WebAuthn Level 3 and CTAP2 define one: a P-256 key pair made at
/// registration; <c>authenticatorData</c> (the rpId's SHA-256, the flags, the signature counter and, at registration,
/// the credential id and its COSE key); a <c>none</c> attestation; and assertion signatures over the
/// authenticator data and the client data's hash. Its answers are the JSON a browser's <c>credential.toJSON()</c>
/// gives, so a test drives the API as a front end would, with no browser.
/// </summary>
public sealed class SoftwareAuthenticator : IDisposable
{
    private const byte UserPresent = 0x01;
    private const byte UserVerifiedFlag = 0x04;
    private const byte BackupEligible = 0x08;
    private const byte BackedUp = 0x10;
    private const byte AttestedCredentialData = 0x40;

    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private uint _counter;

    public SoftwareAuthenticator(string rpId, string origin, bool synced = false)
    {
        RpId = rpId;
        Origin = origin;
        Synced = synced;
    }

    public string RpId { get; }

    public string Origin { get; }

    /// <summary>A synced passkey (a password manager's): backed up, and its counter stays 0.</summary>
    public bool Synced { get; }

    public byte[] CredentialId { get; } = RandomNumberGenerator.GetBytes(32);

    /// <summary>The user handle the relying party gave at registration, kept with the credential.</summary>
    public byte[]? UserHandle { get; private set; }

    public uint Counter => _counter;

    /// <summary>
    /// <c>navigator.credentials.create</c>: checks the options as a browser and authenticator would (the rpId, user
    /// verification and a discoverable credential asked for), then answers the <c>RegistrationResponseJSON</c>.
    /// </summary>
    public JsonObject Create(JsonElement options, Tampering? tampering = null)
    {
        tampering ??= Tampering.None;
        Assert.Equal(RpId, options.GetProperty("rp").GetProperty("id").GetString());
        Assert.Equal("required", options.GetProperty("authenticatorSelection").GetProperty("userVerification").GetString());
        Assert.Equal("required", options.GetProperty("authenticatorSelection").GetProperty("residentKey").GetString());
        Assert.Contains(options.GetProperty("pubKeyCredParams").EnumerateArray(), parameter => parameter.GetProperty("alg").GetInt32() == -7);
        UserHandle = Base64UrlEncoder.DecodeBytes(options.GetProperty("user").GetProperty("id").GetString());

        var clientData = ClientData("webauthn.create", options.GetProperty("challenge").GetString()!, tampering);
        var authenticatorData = AuthenticatorData(tampering, includeCredential: true);
        var attestation = new CborWriter(CborConformanceMode.Ctap2Canonical);
        attestation.WriteStartMap(3);
        attestation.WriteTextString("fmt");
        attestation.WriteTextString("none");
        attestation.WriteTextString("attStmt");
        attestation.WriteStartMap(0);
        attestation.WriteEndMap();
        attestation.WriteTextString("authData");
        attestation.WriteByteString(authenticatorData);
        attestation.WriteEndMap();

        return new JsonObject
        {
            ["id"] = Base64UrlEncoder.Encode(CredentialId),
            ["rawId"] = Base64UrlEncoder.Encode(CredentialId),
            ["type"] = "public-key",
            ["response"] = new JsonObject
            {
                ["clientDataJSON"] = Base64UrlEncoder.Encode(clientData),
                ["attestationObject"] = Base64UrlEncoder.Encode(attestation.Encode()),
                ["transports"] = new JsonArray("internal", "hybrid"),
                // Members toJSON() adds that the API does not need: they must not make the answer unreadable.
                ["authenticatorData"] = Base64UrlEncoder.Encode(authenticatorData),
                ["publicKeyAlgorithm"] = -7,
                ["publicKey"] = Base64UrlEncoder.Encode(_key.ExportSubjectPublicKeyInfo()),
            },
            ["authenticatorAttachment"] = "platform",
            ["clientExtensionResults"] = new JsonObject(),
        };
    }

    /// <summary><c>navigator.credentials.get</c> with this passkey: the <c>AuthenticationResponseJSON</c>.</summary>
    public JsonObject Get(JsonElement options, Tampering? tampering = null)
    {
        tampering ??= Tampering.None;
        Assert.Equal(RpId, options.GetProperty("rpId").GetString());
        Assert.Equal("required", options.GetProperty("userVerification").GetString());
        var userHandle = tampering.UserHandle ?? UserHandle ?? throw new InvalidOperationException("The passkey was never registered.");

        if (!Synced)
        {
            _counter++;
        }

        var clientData = ClientData("webauthn.get", options.GetProperty("challenge").GetString()!, tampering);
        var authenticatorData = AuthenticatorData(tampering, includeCredential: false);
        var signature = _key.SignData([.. authenticatorData, .. SHA256.HashData(clientData)], HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        if (tampering.BreakSignature)
        {
            signature[^1] ^= 0x01;
        }

        return new JsonObject
        {
            ["id"] = Base64UrlEncoder.Encode(CredentialId),
            ["rawId"] = Base64UrlEncoder.Encode(CredentialId),
            ["type"] = "public-key",
            ["response"] = new JsonObject
            {
                ["clientDataJSON"] = Base64UrlEncoder.Encode(clientData),
                ["authenticatorData"] = Base64UrlEncoder.Encode(authenticatorData),
                ["signature"] = Base64UrlEncoder.Encode(signature),
                ["userHandle"] = Base64UrlEncoder.Encode(userHandle),
            },
            ["authenticatorAttachment"] = "platform",
            ["clientExtensionResults"] = new JsonObject(),
        };
    }

    public void Dispose() => _key.Dispose();

    private byte[] ClientData(string type, string challenge, Tampering tampering) => Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new
    {
        type,
        challenge,
        origin = tampering.Origin ?? Origin,
        crossOrigin = false,
    }));

    private byte[] AuthenticatorData(Tampering tampering, bool includeCredential)
    {
        var flags = (byte)(UserPresent | (tampering.UserVerified ? UserVerifiedFlag : 0) | (Synced ? BackupEligible | BackedUp : 0) | (includeCredential ? AttestedCredentialData : 0));
        var data = new List<byte>(SHA256.HashData(Encoding.UTF8.GetBytes(tampering.RpId ?? RpId))) { flags };
        var counter = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(counter, tampering.Counter ?? _counter);
        data.AddRange(counter);
        if (includeCredential)
        {
            data.AddRange(new byte[16]);
            var length = new byte[2];
            BinaryPrimitives.WriteUInt16BigEndian(length, (ushort)CredentialId.Length);
            data.AddRange(length);
            data.AddRange(CredentialId);
            data.AddRange(CoseKey());
        }

        return [.. data];
    }

    /// <summary>The public key as COSE_Key (RFC 9052): EC2, ES256, P-256, x and y.</summary>
    private byte[] CoseKey()
    {
        var point = _key.ExportParameters(includePrivateParameters: false).Q;
        var cose = new CborWriter(CborConformanceMode.Ctap2Canonical);
        cose.WriteStartMap(5);
        cose.WriteInt32(1);
        cose.WriteInt32(2);
        cose.WriteInt32(3);
        cose.WriteInt32(-7);
        cose.WriteInt32(-1);
        cose.WriteInt32(1);
        cose.WriteInt32(-2);
        cose.WriteByteString(point.X!);
        cose.WriteInt32(-3);
        cose.WriteByteString(point.Y!);
        cose.WriteEndMap();
        return cose.Encode();
    }
}
