using LowRankTrainer.Adapters;
using LowRankTrainer.Config;
using LowRankTrainer.Data;
using LowRankTrainer.Models.Transformers;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;
using LowRankTrainer.Training;

namespace LowRankTrainer.Runs;

/// <summary>
/// A finished run reopened: the model rebuilt from the run's <c>config.yaml</c> exactly as the <see cref="Trainer"/> built
/// it, with the saved weights loaded (<c>final/</c>, or a checkpoint), plus the run's data, loss and evaluation — what
/// <c>lrt eval</c> and <c>lrt merge</c> start from.
/// </summary>
/// <remarks>
/// <para>The rebuild repeats the trainer's order, through the same code (<see cref="ModelSetup"/>,
/// <see cref="Trainer.InjectAdapter"/>): <c>torch.manual_seed(train.seed)</c>, a model generator seeded with
/// <c>train.seed</c>, the data of <c>data.*</c> (which sizes the model: feature width, class names, pad id), the base
/// model from that generator (or <c>model.pretrained</c>), then the adapter injected with the config's options. An
/// adapter run's frozen base is therefore the run's base bit for bit, and only the adapter is read from disk (PEFT's
/// <c>PeftModel.from_pretrained</c> on a base rebuilt from the seed). LoRA-SB is injected without its gradient
/// estimate, as on resume: its A, B and R all come from the file.</para>
/// <para>Weights: an adapter folder (<c>adapter_model.safetensors</c>) or a <c>model.safetensors</c> in the trainer's
/// layout (full, or a frozen-base run's trainable modules) through <see cref="TrainingCheckpoint.LoadWeights"/>; a full
/// transformer's <c>final/</c> in HF's <c>save_pretrained</c> layout through <see cref="PretrainedTransformer.LoadWeights"/>.</para>
/// </remarks>
public sealed class RunModel : IDisposable
{
    private readonly Generator _generator;

    private RunModel(RunLocation location, ExperimentConfig config, Generator generator, TrainingData data, Module<Tensor, Tensor> model,
                     AdapterModel? adapter, LossFunction loss, EmbeddingObjective? embedding, LinearMapMetrics? mapMetrics, EvalPlacement placement)
    {
        Location = location;
        Placement = placement;
        Config = config;
        _generator = generator;
        Data = data;
        Model = model;
        Adapter = adapter;
        Loss = loss;
        Embedding = embedding;
        MapMetrics = mapMetrics;
    }

    /// <summary>Where the run and the loaded weights are.</summary>
    public RunLocation Location { get; }

    /// <summary>The run's config (with any overrides the caller applied).</summary>
    public ExperimentConfig Config { get; }

    /// <summary>Where the model is and the precision <see cref="Evaluate"/> runs in (<see cref="EvalPlacement.Host"/> unless opened with another).</summary>
    public EvalPlacement Placement { get; }

    /// <summary>The run's training and evaluation data.</summary>
    public TrainingData Data { get; }

    /// <summary>The model with the saved weights (an adapter run: the base with its adapter injected, unmerged).</summary>
    public Module<Tensor, Tensor> Model { get; }

    /// <summary>The adapter of an adapter run; null otherwise.</summary>
    public AdapterModel? Adapter { get; }

    /// <summary>The run's loss.</summary>
    public LossFunction Loss { get; }

    /// <summary>The embedding objective of an embedding-loss run; null otherwise.</summary>
    public EmbeddingObjective? Embedding { get; }

    /// <summary>synthetic_linear's effective-rank metrics; null for every other dataset.</summary>
    public LinearMapMetrics? MapMetrics { get; }

    /// <summary>Finds the run <paramref name="path"/> names (<see cref="RunLocation.Find"/>) and opens it with its own config.</summary>
    /// <exception cref="ArgumentException">The run's config.yaml does not load (the message lists its errors).</exception>
    public static RunModel Open(string path, Action<string>? log = null)
    {
        var location = RunLocation.Find(path);
        var result = ConfigLoader.Load(location.ConfigFile);
        if (result.Config is null)
        {
            throw new ArgumentException($"{location.ConfigFile} does not load: {string.Join("; ", result.Diagnostics.Select(d => d.ToString()))}");
        }
        return Open(location, result.Config, log);
    }

    /// <summary>Rebuilds the model of <paramref name="config"/> on the CPU in fp32 and loads <paramref name="location"/>'s weights
    /// (<see cref="Open(RunLocation, ExperimentConfig, EvalPlacement, Action{string}?)"/> with <see cref="EvalPlacement.Host"/>).</summary>
    /// <exception cref="ArgumentException">The config does not describe a model the data fits, or the adapter does not fit the model.</exception>
    /// <exception cref="InvalidDataException">The saved weights do not fit the rebuilt model; the message names the folder and the tensors.</exception>
    public static RunModel Open(RunLocation location, ExperimentConfig config, Action<string>? log = null) => Open(location, config, EvalPlacement.Host, log);

    /// <summary>Rebuilds the model of <paramref name="config"/> (the run's config, possibly with overrides) and loads <paramref name="location"/>'s weights.</summary>
    /// <param name="location">The run and the weights folder.</param>
    /// <param name="config">The run's config.</param>
    /// <param name="placement">Where the model goes once loaded and the precision <see cref="Evaluate"/> uses
    /// (<see cref="EvalPlacement.For(TrainConfig, string?)"/>: the run's own).</param>
    /// <param name="log">Receives a line about a loaded pretrained base.</param>
    /// <exception cref="ArgumentException">The config does not describe a model the data fits, or the adapter does not fit the model.</exception>
    /// <exception cref="InvalidDataException">The saved weights do not fit the rebuilt model; the message names the folder and the tensors.</exception>
    public static RunModel Open(RunLocation location, ExperimentConfig config, EvalPlacement placement, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(location);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(placement);
        var t = config.Train;
        // Rebuilt on the CPU whatever train.device the run trained on: its files hold host tensors, and evaluating or
        // exporting a run must work on a machine without the GPU it trained on. It then moves to the placement's device, as the
        // trainer moves a model built on the CPU.
        var adapterOptions = AdapterConfigMapper.ToOptions(config.Adapter, t.Seed);
        if (t.NumThreads is { } threads) TorchRuntime.NumThreads = threads;

        TorchRuntime.ManualSeed(unchecked((ulong)t.Seed));
        var generator = new Generator(unchecked((ulong)t.Seed));
        TrainingData? data = null;
        Module<Tensor, Tensor>? model = null;
        try
        {
            data = TrainingData.Load(config.Data, config.Loss);
            model = ModelSetup.Build(config, data, generator, log);
            var embedding = ModelSetup.Embedding(config, model)?.Objective;
            var loss = new LossFunction(config.Loss, t.Seed);
            var adapter = adapterOptions is null ? null : Trainer.InjectAdapter(model, adapterOptions);
            // The frozen/trainable split tells the loader which tensors a trainable-only file must hold.
            if (adapter is null) TrainableParameters.Apply(model, config.Adapter.ModulesToSave);
            LoadWeights(location, model, adapter);
            placement.MoveModel(model);
            var mapMetrics = data.TargetMap is { } targetMap ? new LinearMapMetrics(targetMap) : null;
            return new RunModel(location, config, generator, data, model, adapter, loss, embedding, mapMetrics, placement);
        }
        catch
        {
            model?.Dispose();
            data?.Dispose();
            generator.Dispose();
            throw;
        }
    }

    private static void LoadWeights(RunLocation location, Module<Tensor, Tensor> model, AdapterModel? adapter)
    {
        var folder = location.WeightsFolder;
        // A full transformer's final/ is an HF save_pretrained folder (HF names, Conv1D layout); checkpoints and every other run use the trainer's own layout.
        if (adapter is null && model is TransformerModel transformer && File.Exists(Path.Combine(folder, PretrainedTransformer.ConfigFile)))
        {
            PretrainedTransformer.LoadWeights(transformer, folder, headIsNew: false);
            return;
        }
        TrainingCheckpoint.LoadWeights(folder, model, adapter);
    }

    /// <summary>
    /// Evaluates the loaded model as the trainer does at the end of the run (<see cref="ModelSetup.Evaluate"/>, batches of
    /// <c>eval.per_device_eval_batch_size</c>, inside <see cref="Placement"/>'s precision region as the trainer's evaluation
    /// runs inside its <c>train.dtype</c> region) on the evaluation split, or with <paramref name="trainSplit"/> on the training split.
    /// </summary>
    /// <exception cref="InvalidOperationException">The run has no evaluation split.</exception>
    public EvalResult Evaluate(bool trainSplit = false)
    {
        var split = trainSplit ? Data.Train : Data.Eval ?? throw new InvalidOperationException($"the run's data has no evaluation split (data.dataset {Config.Data.Dataset}); evaluate the training split instead");
        using var precision = Placement.Precision.Enter();
        return ModelSetup.Evaluate(Model, Loss, Embedding, MapMetrics, Data.Train, split, Config.Eval.PerDeviceEvalBatchSize);
    }

    /// <summary>
    /// The model's output on <paramref name="inputs"/> (moved to the model's device) in evaluation mode under no-grad, computed
    /// inside <see cref="Placement"/>'s precision region as <see cref="Evaluate"/> computes (fp32 on the CPU by default) and
    /// returned as float32 on the model's device (training mode is restored). Float32 so that differences of two outputs
    /// are taken without a second bf16 rounding: under autocast the output itself is bf16.
    /// </summary>
    public Tensor Logits(Tensor inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var wasTraining = Model.IsTraining;
        Model.Eval();
        try
        {
            using var noGrad = Autograd.NoGrad();
            Tensor output;
            using (Placement.Precision.Enter()) output = Model.Forward(RunDevice.On(inputs, Placement.Device));
            if (output.DType == DType.Float32) return output;
            using (output) return output.To(DType.Float32);
        }
        finally
        {
            Model.Train(wasTraining);
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Model.Dispose();
        Data.Dispose();
        _generator.Dispose();
    }
}
