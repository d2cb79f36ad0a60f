namespace LowRankTrainer.Config;

/// <summary>The <c>train</c> section, with HF TrainingArguments names.</summary>
public sealed record TrainConfig
{
    /// <summary>Root of run folders: a run writes to output_dir/run_name/yyyyMMdd-HHmmss/.</summary>
    public string OutputDir { get; init; } = "runs";

    /// <summary>Run name (defaults to the experiment name or the config file's stem).</summary>
    public string? RunName { get; init; }

    /// <summary>Epochs to train (fractional allowed); ignored when <see cref="MaxSteps"/> &gt; 0.</summary>
    public double NumTrainEpochs { get; init; } = 1;

    /// <summary>Optimizer steps to train; −1 means use <see cref="NumTrainEpochs"/>.</summary>
    public int MaxSteps { get; init; } = -1;

    /// <summary>Micro-batch size.</summary>
    public int PerDeviceTrainBatchSize { get; init; } = 64;

    /// <summary>Micro-batches per optimizer step (effective batch = size × steps).</summary>
    public int GradientAccumulationSteps { get; init; } = 1;

    /// <summary>Peak learning rate.</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Decoupled weight decay (AdamW) or L2 (SGD).</summary>
    public double WeightDecay { get; init; }

    /// <summary>
    /// <c>adamw_torch</c> (AdamW over <c>_foreach_*</c> ops, as PyTorch's <c>foreach=True</c>),
    /// <c>adamw_torch_fused</c> (the same AdamW in one pass over memory per parameter: on the CPU lrt's own kernel,
    /// bit-identical to <c>adamw_torch</c> where libtorch uses AVX2, else to the last bit or so; on CUDA libtorch's
    /// <c>_fused_adamw_</c>, from libtorch 2.4) or <c>sgd</c>.
    /// </summary>
    public string Optim { get; init; } = "adamw_torch";

    /// <summary>AdamW β₁.</summary>
    public double AdamBeta1 { get; init; } = 0.9;

    /// <summary>AdamW β₂.</summary>
    public double AdamBeta2 { get; init; } = 0.999;

    /// <summary>AdamW ε.</summary>
    public double AdamEpsilon { get; init; } = 1e-8;

    /// <summary>SGD momentum.</summary>
    public double Momentum { get; init; }

    /// <summary>SGD Nesterov momentum.</summary>
    public bool Nesterov { get; init; }

    /// <summary>Clip gradients to this global L2 norm; 0 disables clipping.</summary>
    public double MaxGradNorm { get; init; } = 1.0;

    /// <summary><c>linear</c>, <c>cosine</c> or <c>constant</c> (each after the warm-up).</summary>
    public string LrSchedulerType { get; init; } = "linear";

    /// <summary>Linear warm-up steps (exclusive with <see cref="WarmupRatio"/>).</summary>
    public int WarmupSteps { get; init; }

    /// <summary>Warm-up as a fraction of total steps, in [0, 1).</summary>
    public double WarmupRatio { get; init; }

    /// <summary>Seed for model initialisation and everything else random.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Seed of the data order (defaults to <see cref="Seed"/>).</summary>
    public int? DataSeed { get; init; }

    /// <summary>
    /// <c>auto</c> (<c>cuda:0</c> where libtorch sees a GPU, else the CPU; HF Trainer's choice), <c>cpu</c>, <c>cuda</c> or
    /// <c>cuda:N</c>. An explicit CUDA device that is missing is an error, never a fall-back; see <see cref="Training.TrainingDevice"/>.
    /// </summary>
    public string Device { get; init; } = "auto";

    /// <summary>
    /// On CUDA, return the caching allocator's unused blocks to the driver every N optimizer steps (HF's
    /// <c>torch_empty_cache_steps</c>); null or 0: never (the cache is emptied once when training ends). It lowers the
    /// reserved peak that other processes see at some speed cost; it does not lower what the run itself allocates.
    /// </summary>
    public int? EmptyCacheSteps { get; init; }

    /// <summary>Intra-op CPU threads (defaults to LRT_NUM_THREADS or the processor count).</summary>
    public int? NumThreads { get; init; }

    /// <summary>null (start fresh), <c>auto</c> (latest checkpoint of the newest run with this name) or a checkpoint folder.</summary>
    public string? ResumeFromCheckpoint { get; init; }

    /// <summary>
    /// What a NaN or ±∞ loss or gradient does: <c>stop</c> (end the run naming the step and tensor, keeping the last
    /// good checkpoint) or <c>skip_step</c> (drop the step's gradients, as AMP's GradScaler does); see
    /// <see cref="Training.NonFiniteWatchdog"/>.
    /// </summary>
    public string OnNonfinite { get; init; } = "stop";

    /// <summary>With <c>on_nonfinite: skip_step</c>, how many steps in a row may be skipped before the run stops.</summary>
    public int MaxSkippedSteps { get; init; } = 10;

    /// <summary>
    /// Data-parallel runs (<c>lrt train --nproc N</c>, or torchrun's RANK/WORLD_SIZE variables): how many seconds a rank
    /// waits for the others at the rendezvous or in a collective before the run fails (HF's <c>ddp_timeout</c>, 1800 as
    /// in PyTorch). A rank that dies is noticed at once (its connections close); this bounds a rank that hangs.
    /// </summary>
    public int DdpTimeout { get; init; } = 1800;

    /// <summary>
    /// The forward pass's precision: <c>auto</c> (bf16 on CUDA, fp32 on the CPU), <c>fp32</c>, <c>bf16</c> (autocast;
    /// weights, gradients and optimizer state stay fp32) or <c>fp16</c> (CUDA only, with dynamic loss scaling); see
    /// <see cref="Training.MixedPrecision"/>.
    /// </summary>
    public string Dtype { get; init; } = "auto";

    /// <summary>
    /// TF32 in cuBLAS matmuls and cuDNN convolutions (HF's <c>tf32</c>); false leaves libtorch's defaults (matmuls in
    /// full fp32, convolutions in TF32). See <see cref="Training.NumericsSwitches"/>.
    /// </summary>
    public bool Tf32 { get; init; }

    /// <summary>Deterministic algorithms only (HF's <c>full_determinism</c>); see <see cref="Training.NumericsSwitches"/>.</summary>
    public bool FullDeterminism { get; init; }
}
