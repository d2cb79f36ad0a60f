using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace LowRankTrainer.Data.Text;

/// <summary>
/// A deterministic, seeded, stratified train/test split that is the same on every machine and every .NET
/// version: each item is ranked by the SHA-256 hash of <c>"&lt;seed&gt;:&lt;key&gt;"</c> (its first 8 bytes,
/// big-endian), never by <see cref="Random"/>, whose sequence is an implementation detail.
/// </summary>
/// <remarks>
/// Within each stratum the <c>round(n × testFraction)</c> items of lowest rank (midpoints away from zero) go
/// to the test set, so every stratum keeps its share (scikit-learn's <c>stratify=</c>). Both sets come back in
/// rank order — a seeded shuffle, so taking the first rows of either is a random sample. Adding or removing an
/// item moves at most that item and the one at its stratum's boundary.
/// </remarks>
public static class SeededSplit
{
    /// <summary>Splits <paramref name="items"/>.</summary>
    /// <param name="items">The items; their keys must be distinct.</param>
    /// <param name="key">A stable name per item (<c>spam-1/00001</c>, <c>ca01</c>, a line number).</param>
    /// <param name="stratum">The group an item is stratified by (its class, its corpus section).</param>
    /// <param name="testFraction">The share of each stratum held out, in [0, 1).</param>
    /// <param name="seed">Any integer; a different seed gives an unrelated split.</param>
    /// <exception cref="ArgumentException">Two items share a key, or the fraction is outside [0, 1).</exception>
    public static (List<T> Train, List<T> Test) Split<T>(IReadOnlyList<T> items, Func<T, string> key, Func<T, string> stratum, double testFraction, int seed)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(stratum);
        if (testFraction is not (>= 0 and < 1)) throw new ArgumentException($"the test fraction must be in [0, 1), got {testFraction}", nameof(testFraction));

        var ranked = new List<(ulong Rank, string Key, string Stratum, T Item)>(items.Count);
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            var k = key(item);
            if (!keys.Add(k)) throw new ArgumentException($"two items share the key '{k}'", nameof(items));
            ranked.Add((Rank(seed, k), k, stratum(item), item));
        }
        ranked.Sort((a, b) => a.Rank != b.Rank ? a.Rank.CompareTo(b.Rank) : string.CompareOrdinal(a.Key, b.Key));

        var quota = ranked.GroupBy(r => r.Stratum, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (int)Math.Round(g.Count() * testFraction, MidpointRounding.AwayFromZero), StringComparer.Ordinal);
        var train = new List<T>(items.Count);
        var test = new List<T>();
        foreach (var r in ranked)
        {
            if (quota[r.Stratum] > 0)
            {
                quota[r.Stratum]--;
                test.Add(r.Item);
            }
            else
            {
                train.Add(r.Item);
            }
        }
        return (train, test);
    }

    /// <summary>An item's rank: the first 8 bytes of SHA-256(<c>"&lt;seed&gt;:&lt;key&gt;"</c>, UTF-8) as a big-endian integer.</summary>
    public static ulong Rank(int seed, string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var text = string.Create(CultureInfo.InvariantCulture, $"{seed}:{key}");
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(text), hash);
        return BinaryPrimitives.ReadUInt64BigEndian(hash);
    }
}
