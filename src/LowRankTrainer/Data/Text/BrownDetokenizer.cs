using System.Text;

namespace LowRankTrainer.Data.Text;

/// <summary>
/// Turns one tagged Brown sentence (<c>The/at jury/nn said/vbd ,/, ``/`` no/at ''/''</c>) back into running
/// text (<c>The jury said, "no"</c>).
/// </summary>
/// <remarks>
/// Each token's tag is cut at its last <c>/</c> (words such as <c>1/2</c> keep theirs). Words are joined by
/// single spaces, except: no space before <c>, . ; : ! ? ) ]</c> or a closing quote, none after an opening
/// quote, <c>(</c>, <c>[</c> or <c>$</c>. <c>``</c> and <c>''</c> become <c>"</c> (opening and closing). The
/// corpus writes both single quotes as <c>'</c>; within a sentence they alternate, opening first. These rules
/// are the usual Treebank detokenization, simplified to the punctuation the corpus holds.
/// </remarks>
public static class BrownDetokenizer
{
    private static readonly HashSet<string> NoSpaceBefore = [",", ".", ";", ":", "!", "?", ")", "]", "''"];
    private static readonly HashSet<string> NoSpaceAfter = ["``", "(", "[", "$"];

    /// <summary>The word of a <c>word/tag</c> token, or null when it has no tag.</summary>
    public static string? Word(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        var slash = token.LastIndexOf('/');
        return slash <= 0 ? null : token[..slash];
    }

    /// <summary>The running text of one sentence's tagged tokens.</summary>
    /// <param name="tokens">The <c>word/tag</c> tokens.</param>
    /// <param name="file">The file, for error messages.</param>
    /// <param name="line">The 1-based line, for error messages.</param>
    /// <exception cref="DataFormatException">A token has no <c>/tag</c>.</exception>
    public static string Sentence(IReadOnlyList<string> tokens, string file, long line)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var sb = new StringBuilder();
        var glue = true; // no space before the first word
        var singleOpen = false;
        foreach (var token in tokens)
        {
            var word = Word(token) ?? throw new DataFormatException(file, $"token '{token}' is not word/tag", line);
            bool before, after;
            if (word == "'")
            {
                singleOpen = !singleOpen;
                (before, after) = singleOpen ? (false, true) : (true, false);
            }
            else
            {
                before = NoSpaceBefore.Contains(word);
                after = NoSpaceAfter.Contains(word);
            }
            if (!glue && !before) sb.Append(' ');
            sb.Append(word is "``" or "''" ? "\"" : word);
            glue = after;
        }
        return sb.ToString();
    }
}
