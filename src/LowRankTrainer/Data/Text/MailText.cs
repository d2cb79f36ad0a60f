namespace LowRankTrainer.Data.Text;

/// <summary>
/// The text a spam classifier reads from a raw RFC 5322 mail: the Subject header, a blank line, then the body.
/// </summary>
/// <remarks>
/// The other headers are dropped: Received chains, Message-IDs and the corpus's own
/// <c>spamassassin.taint.org</c> relays identify the collection a mail came from rather than what it says, and
/// would let a model learn the source instead of the content. Nothing is decoded — no MIME parts,
/// quoted-printable, base64 or HTML — so the text is deterministic and the model sees the mail as a naive
/// reader would (HTML spam stays HTML). Line ends are normalised to LF; a folded Subject (continuation lines
/// starting with a space or tab) is unfolded with single spaces. The header block ends at the first empty line;
/// a mail without one is all header and has an empty body.
/// </remarks>
public static class MailText
{
    /// <summary>The Subject (empty if none) and body of <paramref name="raw"/>, as <c>subject + "\n\n" + body</c>.</summary>
    public static string SubjectAndBody(string raw)
    {
        ArgumentNullException.ThrowIfNull(raw);
        var text = raw.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');
        var end = text.StartsWith('\n') ? 0 : text.IndexOf("\n\n", StringComparison.Ordinal);
        var header = end < 0 ? text : text[..end];
        var body = end < 0 ? "" : text[(end + (end == 0 ? 1 : 2))..];
        return Subject(header) + "\n\n" + body;
    }

    /// <summary>The first Subject header's value, unfolded and trimmed, or empty.</summary>
    public static string Subject(string header)
    {
        ArgumentNullException.ThrowIfNull(header);
        var lines = header.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if (!lines[i].StartsWith("Subject:", StringComparison.OrdinalIgnoreCase)) continue;
            var value = lines[i]["Subject:".Length..].Trim();
            for (var j = i + 1; j < lines.Length && lines[j].Length > 0 && lines[j][0] is ' ' or '\t'; j++)
            {
                value += " " + lines[j].Trim();
            }
            return value.Trim();
        }
        return "";
    }
}
