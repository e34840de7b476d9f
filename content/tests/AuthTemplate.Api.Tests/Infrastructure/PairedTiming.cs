using System.Globalization;

namespace AuthTemplate.Api.Tests.Infrastructure;

/// <summary>An equivalence verdict on paired timing differences, from the median and its order-statistic interval.</summary>
public sealed record PairedTiming(int Pairs, double TypicalTime, double MedianDifference, double Low, double High, double Allowed, double Confidence)
{
    /// <summary>The difference allowed, as a share of the typical time of the baseline.</summary>
    public const double DefaultMargin = 0.15;

    public const double DefaultConfidence = 0.99;

    private const int PairsPerRound = 12;
    private const int MinRounds = 5;
    private const int MaxRounds = 200;

    /// <summary>
    /// How long a noisy machine may be timed before the verdict stands. A fast request gets many more pairs than a
    /// slow one within it: the interval of the median narrows with the number of pairs, and a few milliseconds of
    /// request are as noisy as hundreds.
    /// </summary>
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(75);

    /// <summary>
    /// The pairs timed before the verdict stands however long they take: a machine whose every core is busy makes a
    /// BCrypt-bound request slower and noisier at once, and a budget of time alone would then give up on fewer pairs
    /// exactly when more are needed.
    /// </summary>
    private const int MinPairsBeforeGivingUp = 240;

    /// <summary>
    /// Times interleaved pairs of two requests (each returns its time in milliseconds), round after round until the
    /// verdict is equivalence or the time budget runs out (after at least a few rounds), and returns the verdict on
    /// <c>candidate - baseline</c>.
    /// </summary>
    public static async Task<PairedTiming> MeasureAsync(
        Func<Task<double>> candidate, Func<Task<double>> baseline, double margin = DefaultMargin, double confidence = DefaultConfidence,
        double minimumAllowed = 0)
    {
        var differences = new List<double>();
        var baselineTimes = new List<double>();
        var verdict = Compare(differences, baselineTimes, margin, confidence, minimumAllowed);
        var measuring = System.Diagnostics.Stopwatch.StartNew();
        for (var round = 1;
             round <= MaxRounds && !verdict.Equivalent && (round <= MinRounds || measuring.Elapsed < Budget || differences.Count < MinPairsBeforeGivingUp);
             round++)
        {
            for (var i = 0; i < PairsPerRound; i++)
            {
                // Each pair back to back, so that whatever else the machine does weighs on both alike, and in
                // alternating order, so that being first or second in a pair weighs on both alike too.
                double first, second;
                if (differences.Count % 2 == 0)
                {
                    first = await candidate();
                    second = await baseline();
                }
                else
                {
                    second = await baseline();
                    first = await candidate();
                }

                differences.Add(first - second);
                baselineTimes.Add(second);
            }

            verdict = Compare(differences, baselineTimes, margin, confidence, minimumAllowed);
        }

        return verdict;
    }

    public bool Equivalent => Pairs > 0 && Low > -Allowed && High < Allowed;

    /// <summary>
    /// The verdict: equivalent when the interval lies within the margin's share of the typical baseline time, or
    /// within <paramref name="minimumAllowed"/> milliseconds when that is more (for requests so fast that a share of
    /// their time is below what a clock on a busy machine can tell).
    /// </summary>
    public static PairedTiming Compare(IReadOnlyList<double> differences, IReadOnlyList<double> baselineTimes, double margin, double confidence, double minimumAllowed = 0)
    {
        if (differences.Count == 0)
        {
            return new PairedTiming(0, 0, 0, double.NegativeInfinity, double.PositiveInfinity, 0, confidence);
        }

        var sorted = differences.Order().ToArray();
        var k = MedianIntervalRank(sorted.Length, confidence);
        var (low, high) = k == 0
            ? (double.NegativeInfinity, double.PositiveInfinity)
            : (sorted[k - 1], sorted[sorted.Length - k]);
        var typical = Median(baselineTimes);
        return new PairedTiming(sorted.Length, typical, Median(sorted), low, high, Math.Max(margin * typical, minimumAllowed), confidence);
    }

    /// <summary>
    /// The largest k such that the k-th smallest and k-th largest of n samples bound the median with the given
    /// confidence: the number of samples below the median is Binomial(n, 1/2), whatever the distribution.
    /// </summary>
    public static int MedianIntervalRank(int n, double confidence)
    {
        var tail = (1 - confidence) / 2;
        var k = 0;
        var cumulative = 0.0;
        for (var below = 0; below < n; below++)
        {
            cumulative += Math.Exp(LogChoose(n, below) - n * Math.Log(2));
            if (cumulative > tail)
            {
                break;
            }

            k = below + 1;
        }

        return k;
    }

    private static double LogChoose(int n, int k)
    {
        var result = 0.0;
        for (var i = 1; i <= k; i++)
        {
            result += Math.Log(n - k + i) - Math.Log(i);
        }

        return result;
    }

    private static double Median(IEnumerable<double> samples)
    {
        var sorted = samples.Order().ToArray();
        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Pairs} pairs: the baseline takes {TypicalTime:F1} ms (median); the other request takes {MedianDifference:+0.0;-0.0} ms more (median), between {Low:+0.0;-0.0} and {High:+0.0;-0.0} ms ({Confidence * 100:F0}%); allowed ± {Allowed:F2} ms");
}
