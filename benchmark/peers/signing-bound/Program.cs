// The signing bound: how many access tokens this machine can sign per second with the library, the key and the
// payload the generated API uses, and nothing else. Every refresh signs one access token, so refresh can go no faster
// than this on the cores it has.
// Usage: signing-bound PEM-FILE ALGORITHM PAYLOAD-FILE SECONDS CORES
//   PEM-FILE: the run's private key (RSA for RS256, P-256 for ES256); PAYLOAD-FILE: the decoded payload JSON of an
//   access token the API issued. Signs for SECONDS with one thread, then with CORES threads (one per core), each after
//   a short warm-up, and prints signatures_per_s_one_core=... signatures_per_s_all_cores=... threads=... alg=...
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

var pem = File.ReadAllText(args[0]);
var algorithm = args[1];
var payload = File.ReadAllText(args[2]).Trim();
var seconds = double.Parse(args[3], CultureInfo.InvariantCulture);
var cores = int.Parse(args[4], CultureInfo.InvariantCulture);

// The key as the API holds it (SigningKeyLoader): a security key made from the exported private parameters.
AsymmetricSecurityKey key;
string signingAlgorithm;
switch (algorithm)
{
    case "RS256":
        using (var rsa = RSA.Create())
        {
            rsa.ImportFromPem(pem);
            key = new RsaSecurityKey(rsa.ExportParameters(includePrivateParameters: true)) { KeyId = "signing-bound" };
        }

        signingAlgorithm = SecurityAlgorithms.RsaSha256;
        break;
    case "ES256":
        using (var ecdsa = ECDsa.Create())
        {
            ecdsa.ImportFromPem(pem);
            key = new ECDsaSecurityKey(ECDsa.Create(ecdsa.ExportParameters(includePrivateParameters: true))) { KeyId = "signing-bound" };
        }

        signingAlgorithm = SecurityAlgorithms.EcdsaSha256;
        break;
    default:
        throw new ArgumentException($"Unknown algorithm '{algorithm}': RS256 or ES256.");
}

var credentials = new SigningCredentials(key, signingAlgorithm);
var handler = new JsonWebTokenHandler();

// One token checked: signed with the key and carrying the payload it was given.
var sample = handler.ReadJsonWebToken(handler.CreateToken(payload, credentials));
if (sample.Alg != signingAlgorithm || string.IsNullOrEmpty(sample.EncodedSignature))
{
    throw new InvalidOperationException("The token was not signed as asked.");
}

var oneCore = Rate(1, seconds);
var allCores = Rate(cores, seconds);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"signatures_per_s_one_core={oneCore:F1} signatures_per_s_all_cores={allCores:F1} threads={cores} alg={algorithm}"));

// Signatures per second over THREADS threads signing at once for SECONDS, after a warm-up (the JIT, the crypto
// provider's cache) a tenth as long.
double Rate(int threads, double runSeconds)
{
    Sign(threads, Math.Max(0.5, runSeconds / 10));
    var stopwatch = Stopwatch.StartNew();
    var count = Sign(threads, runSeconds);
    return count / stopwatch.Elapsed.TotalSeconds;
}

long Sign(int threads, double runSeconds)
{
    long total = 0;
    var until = Stopwatch.GetTimestamp() + (long)(runSeconds * Stopwatch.Frequency);
    var workers = Enumerable.Range(0, threads).Select(_ => new Thread(() =>
    {
        long count = 0;
        while (Stopwatch.GetTimestamp() < until)
        {
            handler.CreateToken(payload, credentials);
            count++;
        }

        Interlocked.Add(ref total, count);
    })).ToList();
    workers.ForEach(worker => worker.Start());
    workers.ForEach(worker => worker.Join());
    return total;
}
