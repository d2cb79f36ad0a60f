namespace LowRankTrainer.Data.Text;

/// <summary>One text-classification example as read, before tokenization and label numbering.</summary>
/// <param name="Text">The text.</param>
/// <param name="Label">The label as written: a class name, or an integer class index.</param>
/// <param name="File">The file it came from, for error messages.</param>
/// <param name="Line">The 1-based line it starts on (0 when it has none, e.g. a mail file).</param>
public sealed record LabeledText(string Text, string Label, string File, long Line);
