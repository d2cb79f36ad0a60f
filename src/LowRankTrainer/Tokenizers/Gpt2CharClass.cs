namespace LowRankTrainer.Tokenizers;

/// <summary>The character classes of GPT-2's pre-tokenizer pattern, on Unicode code points.</summary>
public enum Gpt2CharClass
{
    /// <summary>Neither whitespace, letter nor number: <c>[^\s\p{L}\p{N}]</c> (punctuation, symbols, emoji, marks, controls).</summary>
    Other,

    /// <summary>JavaScript's <c>\s</c>.</summary>
    Whitespace,

    /// <summary><c>\p{L}</c>: general category Lu, Ll, Lt, Lm or Lo.</summary>
    Letter,

    /// <summary><c>\p{N}</c>: general category Nd, Nl or No.</summary>
    Number,
}
