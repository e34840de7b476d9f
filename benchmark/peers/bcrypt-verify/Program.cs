// One BCrypt verification alone, with the library and cost the generated API uses: the floor under a login.
// Usage: bcrypt-verify COST ROUNDS; prints the median and the fastest verification in milliseconds.
using System.Diagnostics;
using System.Globalization;

var cost = int.Parse(args[0], CultureInfo.InvariantCulture);
var rounds = int.Parse(args[1], CultureInfo.InvariantCulture);
const string password = "benchmark-password";
var hash = BCrypt.Net.BCrypt.HashPassword(password, cost);
BCrypt.Net.BCrypt.Verify(password, hash);

var times = new List<double>();
for (var i = 0; i < rounds; i++)
{
    var stopwatch = Stopwatch.StartNew();
    if (!BCrypt.Net.BCrypt.Verify(password, hash))
    {
        throw new InvalidOperationException("The verification failed.");
    }

    times.Add(stopwatch.Elapsed.TotalMilliseconds);
}

times.Sort();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"median_ms={times[times.Count / 2]:F3} min_ms={times[0]:F3}"));
