namespace LowRankTrainer.Config;

/// <summary>The <c>model</c> section: which architecture and its sizes.</summary>
public sealed record ModelConfig
{
    /// <summary>
    /// <c>mlp</c>, <c>resmlp</c> (a deep narrow residual MLP, <see cref="LowRankTrainer.Models.ResMlp"/>), <c>lenet5</c>
    /// (LeCun et al. 1998, as used by Li et al. 2018's intrinsic-dimension study), <c>cnn</c> or <c>linear</c> (one
    /// Linear layer named <c>linear</c>, d_in → d_out from the data; <see cref="Models.LinearModel"/>);
    /// or a transformer family by HF's <c>model_type</c> (<c>gpt2</c>, …), built from <see cref="HfConfig"/> or loaded from
    /// <see cref="Pretrained"/> (an HF checkpoint folder).
    /// </summary>
    public string Name { get; init; } = "mlp";

    /// <summary>
    /// Hidden layer widths of the MLP (e.g. [256, 256] for 784-256-256-10); for <c>resmlp</c> exactly one value, the width w
    /// of the stem and of every residual block.
    /// </summary>
    public IReadOnlyList<int> HiddenSizes { get; init; } = [256, 256];

    /// <summary>
    /// <c>resmlp</c> only: L, the number of residual blocks hᵢ = hᵢ₋₁ + ReLU(blocks.{i−1}(hᵢ₋₁)), each a Linear(w → w),
    /// between the stem and the head (≥ 1).
    /// </summary>
    public int NumBlocks { get; init; } = 8;

    /// <summary>Number of output classes.</summary>
    public int NumClasses { get; init; } = 10;

    /// <summary>Input channels of image models.</summary>
    public int InChannels { get; init; } = 1;

    /// <summary>Side length of square input images.</summary>
    public int ImageSize { get; init; } = 28;

    /// <summary>Dropout probability between hidden layers, in [0, 1).</summary>
    public double Dropout { get; init; }

    /// <summary>
    /// Start from these weights instead of the random initialisation: a <c>model.safetensors</c> file, or a
    /// folder holding one (a run's <c>final/</c>, or a run folder, whose <c>final/</c> is used). Every tensor
    /// of the model must be in the file with its shape, except under <see cref="PretrainedSkip"/>.
    /// </summary>
    public string? Pretrained { get; init; }

    /// <summary>
    /// Module names (or prefixes, e.g. <c>layers.6</c> for the MLP's head) whose tensors keep their fresh
    /// initialisation instead of the pretrained values: a new head for a new label set.
    /// </summary>
    public IReadOnlyList<string> PretrainedSkip { get; init; } = [];

    /// <summary>
    /// Transformers: what the head computes, <c>sequence_classification</c> (one row of class logits per text) or
    /// <c>causal_lm</c> (next-token logits; the data must give next-token targets).
    /// </summary>
    public string Task { get; init; } = "sequence_classification";

    /// <summary>
    /// Transformers trained from scratch: an HF <c>config.json</c> with the sizes (its <c>model_type</c>, when present,
    /// must equal <see cref="Name"/>). Not used with <see cref="Pretrained"/>, whose folder has its own.
    /// </summary>
    public string? HfConfig { get; init; }

    /// <summary><c>linear</c>: whether the layer has a bias b (y = W x + b); false gives the pure linear map y = W x.</summary>
    public bool Bias { get; init; } = true;

    /// <summary>
    /// <c>linear</c>: the initial weights. <c>default</c>: PyTorch's nn.Linear initialisation drawn from <c>train.seed</c>;
    /// <c>zeros</c>: W₀ = 0 (and b₀ = 0), so the learned map is the adapter's update alone.
    /// </summary>
    public string Init { get; init; } = "default";
}
