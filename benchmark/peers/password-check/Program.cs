// The common-password check alone, from the published API's own assembly: how long the list takes to load, what it
// holds in memory, and how long one lookup takes.
// Usage: password-check API_DLL LOOKUPS; prints one line of figures.
using System.Diagnostics;
using System.Globalization;
using System.Reflection;

var api = Assembly.LoadFrom(Path.GetFullPath(args[0]));
var lookups = int.Parse(args[1], CultureInfo.InvariantCulture);
var type = api.GetType($"{api.GetName().Name}.Passwords.CommonPasswords", throwOnError: true)!;

GC.Collect();
var before = GC.GetTotalMemory(forceFullCollection: true);
var loading = Stopwatch.StartNew();
var list = type.GetProperty("List")!.GetValue(null)!;
var loadMs = loading.Elapsed.TotalMilliseconds;
var retained = GC.GetTotalMemory(forceFullCollection: true) - before;
var count = (int)type.GetProperty("Count")!.GetValue(list)!;
var contains = type.GetMethod("Contains")!.CreateDelegate<Func<string, bool>>(list);

// Half listed, half not, in other letter case than the list's: the work a real check does.
string[] candidates = ["Password1", "QWERTYUIOP", "iloveyou1", "Dragon1234", "lantern orbit quietly 47", "a long unlisted phrase 9", "Correct-Battery-93", "zq8 mirth puddle tocsin"];
var found = 0;
for (var i = 0; i < 100_000; i++)
{
    found += contains(candidates[i % candidates.Length]) ? 1 : 0;
}

var timing = Stopwatch.StartNew();
for (var i = 0; i < lookups; i++)
{
    found += contains(candidates[i % candidates.Length]) ? 1 : 0;
}

var nsPerLookup = timing.Elapsed.TotalNanoseconds / lookups;
if (found == 0)
{
    throw new InvalidOperationException("No candidate was found: the list did not load.");
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"passwords={count} load_ms={loadMs:F1} retained_kib={retained / 1024.0:F0} ns_per_lookup={nsPerLookup:F1}"));
