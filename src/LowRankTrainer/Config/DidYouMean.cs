namespace LowRankTrainer.Config;

/// <summary>"Did you mean …?" suggestions for misspelt keys and names.</summary>
public static class DidYouMean
{
    /// <summary>
    /// The candidate the user most likely meant, or null. In order: a case-insensitive match; the
    /// closest by edit distance (with transpositions) within a third of the length (at least 2);
    /// a candidate whose word initials spell the input (<c>lr</c> → <c>learning_rate</c>); one that
    /// contains the input as a whole word run (<c>batch_size</c> → <c>per_device_train_batch_size</c>).
    /// </summary>
    public static string? Suggest(string input, IEnumerable<string> candidates)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(candidates);
        var list = candidates.Where(c => c != input).ToList();
        if (list.Count == 0 || input.Length == 0) return null;
        var caseMatch = list.FirstOrDefault(c => string.Equals(c, input, StringComparison.OrdinalIgnoreCase));
        if (caseMatch is not null) return caseMatch;
        var best = list.Select(c => (Candidate: c, Distance: Distance(input.ToLowerInvariant(), c)))
            .OrderBy(x => x.Distance).First();
        if (best.Distance <= Math.Max(2, input.Length / 3)) return best.Candidate;
        var initials = list.FirstOrDefault(c => c.Contains('_', StringComparison.Ordinal)
            && string.Concat(c.Split('_').Select(w => w.Length > 0 ? w[..1] : "")) == input);
        if (initials is not null) return initials;
        if (input.Length >= 4)
        {
            return list.Where(c => c.EndsWith("_" + input, StringComparison.Ordinal) || c.StartsWith(input + "_", StringComparison.Ordinal)
                    || c.Contains("_" + input + "_", StringComparison.Ordinal))
                .OrderBy(c => c.Length).FirstOrDefault();
        }
        return null;
    }

    /// <summary>Optimal string alignment distance: insertions, deletions, substitutions and adjacent transpositions.</summary>
    public static int Distance(string a, string b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        }
        return d[a.Length, b.Length];
    }
}
