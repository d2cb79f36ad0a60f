namespace LowRankTrainer.Tokenizers;

/// <summary>
/// A token matched verbatim in the input before pre-tokenization (an entry of a Hugging Face
/// <c>tokenizer.json</c>'s <c>added_tokens</c>, such as GPT-2's <c>&lt;|endoftext|&gt;</c>): wherever
/// <see cref="Content"/> occurs in the text it becomes <see cref="Id"/>, and decoding <see cref="Id"/>
/// gives <see cref="Content"/> back.
/// </summary>
/// <param name="Id">The token's id.</param>
/// <param name="Content">The exact text it stands for; not empty.</param>
/// <param name="Special">Whether the file marks it special (a control token rather than text); matching
/// and decoding treat both kinds alike.</param>
public sealed record AddedToken(int Id, string Content, bool Special)
{
    /// <summary>HF's <c>lstrip</c>: the whitespace just before a match belongs to the match and is dropped
    /// (<see cref="WordPieceTokenizer"/> honours it; <see cref="GptBpeTokenizer"/>'s loader refuses it).</summary>
    public bool LeftStrip { get; init; }

    /// <summary>HF's <c>rstrip</c>: the whitespace just after a match belongs to the match and is dropped.</summary>
    public bool RightStrip { get; init; }
}
