using System.Text;

namespace LowRankTrainer.Tokenizers;

/// <summary>
/// Hugging Face's WordPiece decoder (Rust <c>tokenizers</c>, <c>decoders/wordpiece.rs</c>): every token but the
/// first either loses the continuing prefix (it glues to the previous token) or gets a space before it; with
/// cleanup, each token so prefixed then has the tokenisation artefacts removed (" ." → ".", " n't" → "n't", …, in
/// HF's order). The cleanup runs on each token, not on the joined text, exactly as HF does, so it only sees the
/// space the decoder itself added.
/// </summary>
internal static class WordPieceDecoder
{
    private static readonly (string From, string To)[] Cleanups =
    [
        (" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"), (" 'm", "'m"),
        (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re"),
    ];

    public static string Decode(IReadOnlyList<string> tokens, string prefix, bool cleanup)
    {
        var text = new StringBuilder();
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            if (i != 0) token = token.StartsWith(prefix, StringComparison.Ordinal) ? token[prefix.Length..] : " " + token;
            if (cleanup && token.Contains(' ', StringComparison.Ordinal))
            {
                foreach (var (from, to) in Cleanups) token = token.Replace(from, to, StringComparison.Ordinal);
            }
            text.Append(token);
        }
        return text.ToString();
    }
}
