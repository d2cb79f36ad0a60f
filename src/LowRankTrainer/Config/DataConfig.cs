namespace LowRankTrainer.Config;

/// <summary>The <c>data</c> section.</summary>
public sealed record DataConfig
{
    /// <summary><c>fashion_mnist</c>, <c>csv</c> or <c>jsonl</c>.</summary>
    public string Dataset { get; init; } = "fashion_mnist";

    /// <summary>Folder (Fashion-MNIST; default Debian's /usr/share/datasets/fashion-mnist) or file (csv/jsonl).</summary>
    public string? Path { get; init; }

    /// <summary>Evaluation file for csv/jsonl (Fashion-MNIST uses its test split).</summary>
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
}
