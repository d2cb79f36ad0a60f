using LowRankTrainer.Data;

namespace LowRankTrainer.Tokenizers;

/// <summary>
/// The merge list of a byte-level BPE vocabulary (GPT-2's <c>vocab.bpe</c>, Hugging Face's
/// <c>merges.txt</c>) and the BPE algorithm that applies it to one pre-tokenized word
/// (<c>Encoder.bpe</c> in OpenAI's <c>gpt-2/src/encoder.py</c>; Sennrich et al. 2016).
/// </summary>
/// <remarks>
/// <para>File format: a header line (<c>#version: 0.2</c>), then one merge per line, two symbols
/// separated by a space, in priority order: the first merge after the header has rank 0, the next rank 1, and so on. A final empty line (the trailing newline) is allowed.</para>
/// <para>Algorithm: start from the word's characters as symbols; repeatedly find the adjacent pair with
/// the lowest rank, and merge every non-overlapping occurrence of that pair, scanning left to right;
/// stop when no adjacent pair has a rank or one symbol is left.</para>
/// <para>Ranks are looked up as in the JavaScript reference (npm <c>gpt-3-encoder</c>), which keys its
/// rank table by the pair array converted to a string, <c>first + "," + second</c>, later merges
/// overwriting earlier ones with the same key. Pairs such as (<c>a,</c>, <c>b</c>) and (<c>a</c>,
/// <c>,b</c>) therefore share one rank, and when the lowest rank belongs to more than one adjacent
/// pair the last of them (in word order) is merged. Both agree with Python's encoder on every merge
/// without a comma; <see cref="Parse"/> reproduces the JavaScript behaviour exactly.
/// <see cref="FromPairs"/> (used for Hugging Face <c>tokenizer.json</c> merges) keys each pair on its
/// own instead, as Hugging Face does; a tie then only arises between equal pairs, which merge alike.</para>
/// </remarks>
public sealed class BpeMergeRanks
{
    private const char PairSeparator = '\0';

    private readonly Dictionary<string, int> _ranks;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly char _separator;

    private BpeMergeRanks(Dictionary<string, int> ranks, int count, char separator)
    {
        _ranks = ranks;
        _lookup = ranks.GetAlternateLookup<ReadOnlySpan<char>>();
        Count = count;
        _separator = separator;
    }

    /// <summary>The number of merges read from the file.</summary>
    public int Count { get; }

    /// <summary>Reads a <c>vocab.bpe</c>/<c>merges.txt</c> file.</summary>
    /// <exception cref="DataFormatException">The file has no <c>#</c> header line, or a line is not two symbols.</exception>
    public static BpeMergeRanks FromFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"BPE merges file not found: {path}", path);
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses the text of a merges file; <paramref name="sourceName"/> names it in errors.</summary>
    public static BpeMergeRanks Parse(string text, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(text);
        var lines = text.Split('\n');
        if (lines.Length == 0 || !lines[0].StartsWith('#'))
        {
            throw new DataFormatException(sourceName, "expected a '#version: ...' header on the first line of the BPE merges file", 1);
        }
        var ranks = new Dictionary<string, int>(StringComparer.Ordinal);
        var count = 0;
        var last = lines.Length - 1;
        if (lines[last].Length == 0) last--; // the trailing newline
        for (var i = 1; i <= last; i++)
        {
            var parts = lines[i].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2)
            {
                throw new DataFormatException(sourceName,
                    $"expected two symbols separated by a space, got {parts.Length} in '{Truncate(lines[i])}'", i + 1);
            }
            ranks[parts[0] + "," + parts[1]] = count++; // the JavaScript key; a later merge overwrites
        }
        return new BpeMergeRanks(ranks, count, ',');
    }

    /// <summary>
    /// Ranks from a list of merges in priority order (the first has rank 0), with Hugging Face's
    /// semantics (the <c>merges</c> of a <c>tokenizer.json</c>): each pair is its own key, so unlike
    /// <see cref="Parse"/> no two distinct pairs share a rank. A pair that appears twice keeps its later rank.
    /// </summary>
    /// <exception cref="ArgumentException">A symbol is empty or holds U+0000, which byte-level symbols never do.</exception>
    public static BpeMergeRanks FromPairs(IEnumerable<(string First, string Second)> merges)
    {
        ArgumentNullException.ThrowIfNull(merges);
        var ranks = new Dictionary<string, int>(StringComparer.Ordinal);
        var count = 0;
        foreach (var (first, second) in merges)
        {
            if (string.IsNullOrEmpty(first) || string.IsNullOrEmpty(second))
            {
                throw new ArgumentException($"merge {count} has an empty symbol", nameof(merges));
            }
            if (first.Contains(PairSeparator, StringComparison.Ordinal) || second.Contains(PairSeparator, StringComparison.Ordinal))
            {
                throw new ArgumentException($"merge {count} holds the character U+0000", nameof(merges));
            }
            ranks[first + PairSeparator + second] = count++;
        }
        return new BpeMergeRanks(ranks, count, PairSeparator);
    }

    /// <summary>
    /// The rank of the pair (<paramref name="first"/>, <paramref name="second"/>) (for ranks read by
    /// <see cref="Parse"/>, the one the JavaScript reference gives it), or -1 when it has none.
    /// </summary>
    public int Rank(string first, string second)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        return _ranks.TryGetValue(first + _separator + second, out var r) ? r : -1;
    }

    /// <summary>
    /// Applies the merges to <paramref name="word"/> (a pre-tokenized piece already mapped through
    /// <see cref="ByteUnicodeMap"/>) and returns the resulting symbols in order.
    /// </summary>
    public List<string> Apply(ReadOnlySpan<char> word)
    {
        var result = new List<string>();
        if (word.IsEmpty) return result;
        // Symbol k is word[starts[k] .. starts[k + 1]); merged symbols are always contiguous.
        var starts = new int[word.Length + 1];
        for (var k = 0; k <= word.Length; k++) starts[k] = k;
        var symbols = word.Length;
        Span<char> key = word.Length < 512 ? stackalloc char[word.Length + 1] : new char[word.Length + 1];

        while (symbols > 1)
        {
            var bestRank = int.MaxValue;
            var best = -1;
            for (var k = 0; k + 1 < symbols; k++)
            {
                var rank = PairRank(word, starts, k, key);
                if (rank >= 0 && rank <= bestRank) // '<=': on a tie the last pair wins, as in the reference
                {
                    bestRank = rank;
                    best = k;
                }
            }
            if (best < 0) break;

            var first = word[starts[best]..starts[best + 1]];
            var second = word[starts[best + 1]..starts[best + 2]];
            var kept = 0;
            var k2 = 0;
            while (k2 < symbols)
            {
                if (k2 + 1 < symbols
                    && word[starts[k2]..starts[k2 + 1]].SequenceEqual(first)
                    && word[starts[k2 + 1]..starts[k2 + 2]].SequenceEqual(second))
                {
                    starts[kept++] = starts[k2];
                    k2 += 2;
                }
                else
                {
                    starts[kept++] = starts[k2];
                    k2 += 1;
                }
            }
            starts[kept] = word.Length;
            symbols = kept;
        }

        for (var k = 0; k < symbols; k++) result.Add(new string(word[starts[k]..starts[k + 1]]));
        return result;
    }

    private int PairRank(ReadOnlySpan<char> word, int[] starts, int k, Span<char> key)
    {
        var a = starts[k];
        var mid = starts[k + 1];
        var end = starts[k + 2];
        word[a..mid].CopyTo(key);
        key[mid - a] = _separator;
        word[mid..end].CopyTo(key[(mid - a + 1)..]);
        return _lookup.TryGetValue(key[..(end - a + 1)], out var rank) ? rank : -1;
    }

    private static string Truncate(string line) => line.Length <= 60 ? line : line[..60] + "...";
}
