namespace LowRankTrainer.Data.Text;

/// <summary>One document of a language-modelling corpus.</summary>
/// <param name="Name">A stable name (a Brown file such as <c>ca01</c>, a path relative to the corpus folder), used to split.</param>
/// <param name="Text">Its text.</param>
public sealed record TextDocument(string Name, string Text);
