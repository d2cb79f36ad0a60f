using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using LowRankTrainer.Adapters;
using LowRankTrainer.Adapters.LoraSb;
using LowRankTrainer.Config;
using LowRankTrainer.Data;
using LowRankTrainer.Models;
using LowRankTrainer.Models.Transformers;
using LowRankTrainer.Runs;
using LowRankTrainer.Checkpoints.Safetensors;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;
using LowRankTrainer.Torch.Optim;
using LowRankTrainer.Torch.Optim.Schedulers;

namespace LowRankTrainer.Training;

/// <summary>
/// The training loop (one loop, no inheritance hierarchy — torchtune's recipe rule): builds data,
/// model, trainable parameters, optimizer, schedule and loss from an <see cref="ExperimentConfig"/>,
/// trains, evaluates, logs and checkpoints into a run folder, and resumes exactly.
/// </summary>
/// <remarks>
/// <para>Features and the keys that control them:</para>
/// <list type="bullet">
/// <item>Length: <c>train.max_steps</c> optimizer steps, else ⌈<c>num_train_epochs</c> · batches per
/// epoch / <c>gradient_accumulation_steps</c>⌉.</item>
/// <item>Gradient accumulation: each optimizer step runs G = <c>gradient_accumulation_steps</c>
/// micro-batches of <c>per_device_train_batch_size</c>, backpropagating loss/G each, so the gradient
/// is the mean over the G micro-batches; then clipping to <c>max_grad_norm</c> (0: none), the
/// optimizer step, the schedule step and zero_grad. Each micro-batch runs in its own
/// <see cref="DisposeScope"/>, so no per-step tensor outlives the step.</item>
/// <item>Watchdog: a non-finite loss or gradient norm stops the run with <see cref="NonFiniteLossException"/>
/// before the weights are touched (or skips the step: <see cref="NonFiniteWatchdog"/>; its counts resume with a checkpoint).
/// fp16 steps skipped on gradient overflow are reported by <see cref="LossScaling"/>.</item>
/// <item>Logging every <c>logging.logging_steps</c>: the mean loss over the window, the step's lr and
/// gradient norm, samples/s → <c>metrics.jsonl</c>, <c>metrics.csv</c> and the console.</item>
/// <item>Evaluation (<c>eval.eval_strategy</c> steps/epoch): eval_loss and eval_accuracy, plus once at
/// the end unless the last step was just evaluated. With <c>loss.type: mrl</c> also eval_accuracy_by_dim
/// (nesting size → accuracy) in <c>metrics.jsonl</c> and <c>summary.json</c>.</item>
/// <item>synthetic_linear (<see cref="SyntheticLinear"/>): every evaluation also reports eval_metrics, the learned map's
/// effective_rank and its Eckart–Young rank_floor on the target (<see cref="LinearMapMetrics"/>), in <c>metrics.jsonl</c>
/// and <c>summary.json</c>.</item>
/// <item>Embedding losses (<c>loss.type</c> mnrl, matryoshka, matryoshka_2d, starbucks; <see cref="EmbeddingObjective"/>):
/// with an MLP each micro-batch becomes two augmented views seeded by (train.seed, step, micro-batch)
/// (<see cref="TwoViews"/>) and the hidden layers are the embeddings; with a transformer each sample is a text pair
/// [2, T] and every layer's mean-pooled hidden states are the embeddings (<see cref="TransformerLayerEmbedder"/>).
/// Heads (and BERT's pooler) are frozen and left out of the optimizer. Evaluation reports nearest-centroid accuracy
/// (images) or top-1 retrieval accuracy among the eval pairs (text) as eval_accuracy, eval_accuracy_by_dim and
/// eval_accuracy_by_layer_dim.</item>
/// <item>Checkpoints (<c>checkpoint.save_strategy</c>, <c>save_steps</c>, <c>save_total_limit</c>): see
/// <see cref="TrainingCheckpoint"/>. Cancellation stops after the current step and saves one.</item>
/// <item>Resume (<c>train.resume_from_checkpoint</c>: a folder or <c>auto</c>): weights, optimizer,
/// schedule, RNG and data cursor are restored, so N steps + resume + N steps equals 2N steps bit for
/// bit on CPU. The resumed run gets a new run folder whose metrics start with the checkpoint's log history.</item>
/// <item>Seeds: <c>torch.manual_seed(train.seed)</c>, a model generator seeded with <c>train.seed</c>
/// (initialisation, then dropout), and data order from <c>train.data_seed</c> (default: seed).</item>
/// <item>Frozen base: a non-empty <c>adapter.modules_to_save</c> freezes everything else; checkpoints
/// then hold only those modules' weights.</item>
/// <item>Adapters (<c>adapter.method</c> lora, …): the method is injected into the frozen base
/// (<see cref="AdapterModel"/>) with A drawn from <c>adapter.init_seed</c> (default <c>train.seed</c>);
/// only the adapter, the chosen biases and <c>modules_to_save</c> train. Checkpoints and <c>final/</c>
/// hold <c>adapter_config.json</c> + <c>adapter_model.safetensors</c> (PEFT's layout) instead of
/// <c>model.safetensors</c>; resume rebuilds the base from the seed and loads the adapter.
/// LoRA-SB (Ponkshe, Singhal et al. 2024) first estimates gradients on the first
/// <c>adapter.lora_sb_num_samples</c> training samples (<see cref="GradientEstimate"/>) on a fresh run only.</item>
/// <item>Device (<c>train.device</c> auto | cpu | cuda | cuda:N; <see cref="RunDevice"/>): the model is built and its adapter
/// injected on the CPU, then moved before the optimizer exists; batches move per step; CUDA runs log peak GPU memory and
/// empty the allocator's cache every <c>train.empty_cache_steps</c> steps and at the end.</item>
/// <item>Data parallelism (<see cref="TrainerOptions.ProcessGroup"/>; <c>lrt train --nproc N</c>): W ranks each take
/// <c>per_device_train_batch_size</c> samples of every global batch, average their gradients over c10d Gloo (agreeing in
/// the same all-reduce on a non-finite loss and a stop request) and sum their loss shares when it is logged; rank 0
/// writes the run. See <see cref="DataParallel"/>.</item>
/// </list>
/// </remarks>
/// <param name="config">The experiment.</param>
/// <param name="resolvedConfigYaml">The fully resolved YAML, saved as the run's <c>config.yaml</c>.</param>
/// <param name="console">Where progress goes.</param>
/// <param name="options">Run-folder location, clock, console mode, injected data.</param>
public sealed class Trainer(ExperimentConfig config, string resolvedConfigYaml, TextWriter console, TrainerOptions? options = null)
{
    private readonly TrainerOptions _options = options ?? new TrainerOptions();

    /// <summary>Trains to the end (or until <paramref name="cancellationToken"/> fires) and returns the outcome.</summary>
    public TrainResult Run(CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(console);
        var clock = Stopwatch.StartNew();
        var createdAt = _options.Clock();
        var t = config.Train;
        if (t.PerDeviceTrainBatchSize < 1 || t.GradientAccumulationSteps < 1) throw new ArgumentException("train.per_device_train_batch_size and gradient_accumulation_steps must be ≥ 1");
        var adapterOptions = AdapterConfigMapper.ToOptions(config.Adapter, t.Seed);
        if (t.NumThreads is { } threads) TorchRuntime.NumThreads = threads;
        using var switches = NumericsSwitches.Apply(t);
        foreach (var (key, value) in new[] { ("eval.eval_strategy", config.Eval.EvalStrategy), ("checkpoint.save_strategy", config.Checkpoint.SaveStrategy) })
        {
            if (value is not ("no" or "steps" or "epoch")) throw new ArgumentException($"{key} must be no, steps or epoch (got '{value}')");
        }
        var runName = t.RunName ?? config.Name ?? "run";
        var resumeFrom = t.ResumeFromCheckpoint switch
        {
            null or "" => null,
            "auto" => RunFolder.FindLatestCheckpoint(t.OutputDir, runName),
            var path => path,
        };
        var dp = new DataParallel(_options.ProcessGroup);
        var runDevice = RunDevice.Start(t, dp.WorldSize);

        TorchRuntime.ManualSeed(unchecked((ulong)t.Seed));
        using var generator = new Generator(unchecked((ulong)t.Seed));
        using var data = _options.TrainData is { } injected ? TrainingData.Borrow(injected, _options.EvalData) : TrainingData.Load(config.Data, config.Loss);
        var modelLines = new List<string>();
        using var model = ModelSetup.Build(config, data, generator, modelLines.Add);
        var mapMetrics = data.TargetMap is { } targetMap ? new LinearMapMetrics(targetMap) : null;
        var modulesToSave = config.Adapter.ModulesToSave;
        var bs = t.PerDeviceTrainBatchSize;
        // Data-parallel ranks each take bs samples of every global batch (DataShard); lengths count global batches.
        var globalBs = bs * dp.WorldSize;
        var accum = t.GradientAccumulationSteps;
        var n = data.Train.Count;
        var batchesPerEpoch = config.Data.DropLast ? n / globalBs : (n + globalBs - 1) / globalBs;
        var totalSteps = t.MaxSteps > 0 ? t.MaxSteps : (long)Math.Ceiling(t.NumTrainEpochs * batchesPerEpoch / accum);
        if (totalSteps < 1) throw new ArgumentException($"the run has no steps (max_steps {t.MaxSteps}, num_train_epochs {t.NumTrainEpochs}, {batchesPerEpoch} batches per epoch)");
        // The embedding losses train the MLP body on two views per image, or a transformer on text pairs; heads stay unused and frozen.
        EmbeddingObjective? embedding = null;
        ILayerEmbedder? embedder = null;
        if (ModelSetup.Embedding(config, model) is { } objective)
        {
            if (adapterOptions is not null || modulesToSave.Count > 0) throw new ArgumentException($"loss.type {config.Loss.Type} trains the whole model body; adapter.method and adapter.modules_to_save are not supported with it");
            // Their in-batch negatives would be each rank's shard only: a different objective from one process's.
            if (dp.IsDistributed) throw new ArgumentException($"loss.type {config.Loss.Type} is not supported data-parallel yet (its in-batch negatives would come from one rank's shard only); train it in one process");
            (embedding, embedder) = objective;
        }
        var loss = new LossFunction(config.Loss, t.Seed);
        var precision = new MixedPrecision(t.Dtype, runDevice.Device);
        var lossScaling = (_options.LossScaler?.Invoke() ?? precision.CreateLossScaler()) is { } scaler ? new LossScaling(scaler) : null;
        // Data-parallel: rank 0 alone estimates; the others inject a placeholder that rank 0's broadcast replaces below.
        var initContext = adapterOptions is LoraSbOptions sb && resumeFrom is null && dp.IsMain
            ? GradientEstimate.ForRun(model, loss, data.Train, sb.NumSamples, t, totalSteps)
            : null;
        if (initContext is not null) adapterOptions = ((LoraSbOptions)adapterOptions!) with { InitContext = initContext };
        AdapterModel? adapter;
        try
        {
            adapter = adapterOptions is null ? null : InjectAdapter(model, adapterOptions);
        }
        finally
        {
            // The summed gradients are one full-size tensor per target; injection has consumed them, so they do not stay for the run.
            initContext?.Dispose();
        }
        // Built and injected on the CPU (bit-identical to a CPU run's start), moved before anything holds its tensors.
        runDevice.MoveModel(model);
        var trainable = adapter?.TrainableParameters() ?? TrainableParameters.Apply(model, modulesToSave);
        if (embedder is not null)
        {
            foreach (var unused in embedder.UnusedModules)
            {
                model.GetSubmodule(unused).Freeze();
                trainable = [.. trainable.Where(p => !p.Name.StartsWith(unused + ".", StringComparison.Ordinal))];
            }
        }
        var trainableTensors = trainable.Select(p => p.Value).ToList();
        var forward = MicroBatchLoss.For(config.Loss, model, loss, embedding);
        dp.BroadcastModel(model);
        var counts = ParameterSummary.Of(model);
        using var optimizer = OptimizerSetup.CreateOptimizer(t, OptimizerSetup.Groups(model, trainable, t.WeightDecay));
        var scheduler = OptimizerSetup.CreateSchedule(t, optimizer, totalSteps);
        var resumed = resumeFrom is null ? null : TrainingCheckpoint.Load(resumeFrom, model, optimizer, scheduler, generator, adapter, runDevice.Device);
        if (resumed?.Seed is { } savedSeed && savedSeed != t.Seed && (modulesToSave.Count > 0 || adapter is not null))
        {
            throw new ArgumentException($"{resumeFrom} was trained on a frozen base initialised with train.seed {savedSeed}; " +
                                        $"resuming with seed {t.Seed} would rebuild a different base");
        }
        dp.CheckSameStart(resumed?.GlobalStep ?? 0, resumeFrom);
        var dataSeed = unchecked((ulong)(t.DataSeed ?? t.Seed));
        using var loader = new ShuffledBatches(data.Train, globalBs, resumed?.Cursor() ?? new DataCursor(0, 0, dataSeed), config.Data.Shuffle, config.Data.DropLast, dp.Shard);

        // Rank 0 alone creates and writes the run folder; the others learn its name (for their TrainResult) and print nothing.
        var runDir = dp.BroadcastText(dp.IsMain ? _options.RunDirectory ?? RunFolder.Create(t.OutputDir, runName, createdAt) : "");
        if (dp.IsMain)
        {
            Directory.CreateDirectory(runDir);
            File.WriteAllText(Path.Combine(runDir, "config.yaml"), resolvedConfigYaml);
            File.WriteAllText(Path.Combine(runDir, "env.json"), RunEnvironment.Capture(config, resolvedConfigYaml, createdAt, dp.WorldSize));
        }
        var checkpointsDir = Path.Combine(runDir, "checkpoints");
        using var metrics = dp.IsMain ? new MetricsLog(runDir, MetricsSinks.Create(config.Logging, runDir)) : MetricsLog.InMemory();
        foreach (var entry in resumed?.LogHistory ?? []) metrics.Write(entry);
        using TextWriter trainLog = dp.IsMain ? new StreamWriter(Path.Combine(runDir, "train.log")) { AutoFlush = true, NewLine = "\n" } : TextWriter.Null;
        var interactive = dp.IsMain && (_options.Interactive ?? (ReferenceEquals(console, Console.Out) && !Console.IsOutputRedirected));
        var progress = new ConsoleProgress(dp.IsMain ? console : TextWriter.Null, interactive, totalSteps, trainLog);
        progress.Line($"run folder: {runDir}");
        if (runDevice.IsCuda) progress.Line($"device: {runDevice.Device}");
        if (dp.IsDistributed) progress.Line($"data parallel: {dp.WorldSize} ranks (c10d Gloo); rank 0 writes the run folder");
        if (precision.Name != "fp32") progress.Line($"precision: {precision.Name} autocast for the forward pass and loss; weights, gradients and optimizer state in fp32{lossScaling?.Describe()}");
        foreach (var line in modelLines) progress.Line(line);
        if (config.Model.Pretrained is { } pretrained && model is not TransformerModel) progress.Line($"model: {PretrainedWeights.Resolve(pretrained)}{(config.Model.PretrainedSkip.Count > 0 ? $" (fresh: {string.Join(", ", config.Model.PretrainedSkip)})" : "")}");
        if (adapter is not null) progress.Line(adapter.Describe());
        if (forward.IsFused) progress.Line("loss: lm_head and cross-entropy fused (loss.fused_linear_cross_entropy): logits computed a chunk of rows at a time, none kept for backward");
        progress.Line(counts.ToPeftLine());
        var ranks = dp.IsDistributed ? $" × {dp.WorldSize} ranks" : "";
        progress.Line(string.Create(CultureInfo.InvariantCulture,
            $"batch: {bs} samples{ranks} × {accum} accumulation = {globalBs * accum} samples per step; {batchesPerEpoch} batches per epoch; {totalSteps} steps"));
        if (resumeFrom is not null) progress.Line($"resumed from {resumeFrom} at step {resumed!.GlobalStep}");
        else if (t.ResumeFromCheckpoint == "auto") progress.Line($"resume_from_checkpoint: auto found no checkpoint under {Path.Combine(t.OutputDir, runName)}; starting fresh");

        if (resumed is not null) lossScaling?.Restore(resumed);
        var step = resumed?.GlobalStep ?? 0;
        var startStep = step;
        // Each rank sums its own shares of the loss; a resumed window's sum (already global) is rank 0's to carry.
        var windowLoss = dp.IsMain ? resumed?.LoggingWindowLossSum ?? 0 : 0;
        var windowSteps = resumed?.LoggingWindowSteps ?? 0;
        long windowSamples = 0, totalSamples = 0;
        var rssAtTrainStart = ProcessMemory.ResidentBytes();
        var stepClock = new Stopwatch();
        var heapAtTrainStart = HostMemory.HeapInUseBytes();
        var peakHeap = heapAtTrainStart;
        // Sampling pauses the step clock: mallinfo2 walks the allocator's free lists.
        void SampleHeap()
        {
            if (heapAtTrainStart is null || (step >= 3 && step % 50 != 0)) return;
            stepClock.Stop();
            peakHeap = Math.Max(peakHeap!.Value, HostMemory.HeapInUseBytes() ?? 0);
            stepClock.Start();
        }
        var windowClock = Stopwatch.StartNew();
        var loopClock = Stopwatch.StartNew();
        // A checkpoint saved right after an evaluation carries it in its log history: resuming there must not evaluate
        // (and log) the same step twice, and the summary reports the evaluation the history holds.
        var resumedEval = resumed?.LogHistory.LastOrDefault(e => e.Split == "eval" && e.Step == resumed.GlobalStep);
        long lastEvalStep = resumedEval?.Step ?? -1;
        string? lastCheckpoint = null;
        EvalResult? lastEval = resumedEval is null ? null : EvalResult.FromEntry(resumedEval);
        var status = "success";
        var watchdog = new NonFiniteWatchdog(t.OnNonfinite, t.MaxSkippedSteps, () => lastCheckpoint ?? resumeFrom);
        if (resumed is not null) watchdog.Restore(resumed.SkippedSteps, resumed.ConsecutiveSkippedSteps);
        double Epoch() => loader.Epoch + ((double)loader.BatchIndex / loader.BatchesPerEpoch);
        TimeSpan? Eta() => step > startStep ? loopClock.Elapsed / (step - startStep) * (totalSteps - step) : null;

        void Evaluate()
        {
            // Every rank evaluates its share of the set and the counts are summed (rank 0 alone writes what it reports).
            if (data.Eval is null) return;
            var watch = Stopwatch.StartNew();
            EvalResult result;
            using (precision.Enter())
            {
                result = ModelSetup.Evaluate(model, loss, embedding, mapMetrics, data.Train, data.Eval, config.Eval.PerDeviceEvalBatchSize, dp);
            }
            lastEval = result;
            lastEvalStep = step;
            metrics.Write(runDevice.WithPeakMemory(new MetricsEntry
            {
                Split = "eval", Step = step, Epoch = Epoch(), EvalLoss = result.Loss, EvalAccuracy = result.Accuracy, EvalF1 = result.MacroF1, EvalAccuracyByDim = result.AccuracyByDim,
                EvalAccuracyByLayerDim = result.AccuracyByLayerDim, EvalMetrics = result.Metrics, EvalRuntime = watch.Elapsed.TotalSeconds, ElapsedSeconds = clock.Elapsed.TotalSeconds,
            }));
            var byDim = result.AccuracyByDim is { } accuracies
                ? "; by dim " + string.Join(", ", accuracies.Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key}: {kv.Value:P2}")))
                : "";
            var extra = result.Metrics is { } m ? "; " + LinearMapMetrics.Format(m) : "";
            progress.Line(string.Create(CultureInfo.InvariantCulture,
                $"step {step}: eval_loss {result.Loss:F4}{(result.Accuracy is { } a ? $", eval_accuracy {a:P2}" : "")}{byDim}{extra}"));
        }

        void Save()
        {
            var windowLossSum = dp.SumAcrossRanks(windowLoss);
            if (!dp.IsMain) return;
            var state = new TrainerState
            {
                GlobalStep = step, Epoch = Epoch(), MaxSteps = totalSteps, NumTrainEpochs = t.NumTrainEpochs,
                LoggingSteps = config.Logging.LoggingSteps, EvalSteps = config.Eval.EvalSteps, SaveSteps = config.Checkpoint.SaveSteps,
                TrainBatchSize = bs, LogHistory = metrics.History.ToList(), DataCursor = JsonNode.Parse(loader.Cursor.ToJson())!.AsObject(),
                LoggingWindowLossSum = windowLossSum, LoggingWindowSteps = windowSteps, Seed = t.Seed,
                SkippedSteps = watchdog.SkippedSteps, ConsecutiveSkippedSteps = watchdog.ConsecutiveSkippedSteps,
            };
            state = lossScaling?.Annotate(state) ?? state;
            if (adapter is not null)
            {
                lastCheckpoint = TrainingCheckpoint.Save(checkpointsDir, step, adapter, optimizer, scheduler, generator, state, runDevice.Device);
            }
            else
            {
                using var weights = TrainableParameters.WeightsToSave(model, modulesToSave);
                lastCheckpoint = TrainingCheckpoint.Save(checkpointsDir, step, weights, modulesToSave.Count > 0, optimizer, scheduler, generator, state, runDevice.Device);
            }
            TrainingCheckpoint.Rotate(checkpointsDir, config.Checkpoint.SaveTotalLimit);
            progress.Line($"step {step}: saved {lastCheckpoint}");
        }

        try
        {
            model.Train();
            while (step < totalSteps)
            {
                var epochBefore = loader.Epoch;
                var lr = optimizer.ParamGroups[0].Lr;
                stepClock.Start();
                // This rank's share of the step's loss: Σ over micro-batches of L·n/N/G (the loss itself in one process).
                double lossShare = 0;
                (double Value, int Micro, Batch Batch)? nonFinite = null;
                for (var micro = 0; micro < accum; micro++)
                {
                    using var scope = new DisposeScope();
                    var batch = loader.Next();
                    windowSamples += batch.GlobalSize;
                    totalSamples += batch.GlobalSize;
                    // A skipped step still reads its remaining micro-batches, so the data order stays that of an unskipped
                    // run; an empty shard (a short last batch split over more ranks than samples) contributes nothing.
                    if (nonFinite is not null || batch.Size == 0) continue;
                    Tensor value;
                    using (precision.Enter()) value = forward.Compute(batch, runDevice.Device, step + 1, micro);
                    var v = value.ToDouble();
                    if (!double.IsFinite(v))
                    {
                        nonFinite = (v, micro, batch);
                        continue;
                    }
                    var scale = batch.LossScale(dp.WorldSize);
                    var share = scale == 1 ? value / accum : value * (scale / accum);
                    (lossScaling is null ? share : lossScaling.ScaleLoss(share)).Backward();
                    SampleHeap();
                    lossShare += (batch.Size == batch.GlobalSize ? v : v * batch.Size / batch.GlobalSize) / accum;
                }
                // Every rank decides alike: a non-finite loss on any rank skips (or stops) the step everywhere, a stop
                // request on any rank stops all after this step (in one process the token is read live, below).
                var agreed = dp.AverageGradients(trainableTensors, nonFinite is not null, dp.IsDistributed && cancellationToken.IsCancellationRequested);
                var skipStep = agreed.NonFiniteLoss && (nonFinite is { } bad
                    ? watchdog.LossIsNonFinite(bad.Value, step + 1, bad.Micro, accum, bad.Batch)
                    : watchdog.LossIsNonFiniteOnAnotherRank(step + 1));
                // fp16: gradients back to their true scale before clipping; an overflow at this loss scale skips the
                // optimizer and scheduler (as HF Trainer does) and halves the scale; it is not a watchdog failure.
                var overflow = !skipStep && lossScaling is not null && lossScaling.Unscale(trainableTensors);
                // clip_grad_norm_ with +∞ scales by min(1, ∞) = 1 (exact), so the norm is logged either way.
                var gradNorm = skipStep || overflow ? double.NaN : GradClip.ClipGradNorm(trainableTensors, t.MaxGradNorm > 0 ? t.MaxGradNorm : double.PositiveInfinity);
                skipStep = skipStep || (!overflow && watchdog.GradientIsNonFinite(gradNorm, step + 1, lossShare, trainable));
                if (!skipStep && !overflow)
                {
                    optimizer.Step();
                    SampleHeap();
                    scheduler.Step();
                    watchdog.StepTaken();
                }
                var overflowLine = skipStep ? null : lossScaling?.Update(overflow, step + 1);
                optimizer.ZeroGrad();
                stepClock.Stop();
                step++;
                runDevice.StepDone(step);
                if (skipStep)
                {
                    progress.Line($"step {step}: non-finite loss or gradient; step skipped ({watchdog.SkippedSteps} so far, train.on_nonfinite: skip_step)");
                }
                else
                {
                    if (overflowLine is not null) progress.Line(overflowLine);
                    windowLoss += lossShare;
                    windowSteps++;
                }

                var log = config.Logging;
                if ((log.LoggingSteps > 0 && step % log.LoggingSteps == 0) || (log.LoggingFirstStep && step == 1) || step == totalSteps)
                {
                    var windowLossSum = dp.SumAcrossRanks(windowLoss);
                    var entry = new MetricsEntry
                    {
                        Step = step, Epoch = Epoch(), Loss = windowSteps > 0 ? windowLossSum / windowSteps : null, LearningRate = lr, GradNorm = double.IsFinite(gradNorm) ? gradNorm : null,
                        SamplesPerSecond = windowSamples / Math.Max(windowClock.Elapsed.TotalSeconds, 1e-9), ElapsedSeconds = clock.Elapsed.TotalSeconds,
                    };
                    entry = runDevice.WithPeakMemory(lossScaling?.Annotate(entry) ?? entry);
                    metrics.Write(entry);
                    progress.Log(entry, Eta());
                    (windowLoss, windowSteps, windowSamples) = (0, 0, 0);
                    windowClock.Restart();
                }
                progress.Step(step, metrics.History.LastOrDefault(e => e.Loss is not null)?.Loss, lr, totalSamples / loopClock.Elapsed.TotalSeconds, Eta());

                var epochEnded = loader.Epoch > epochBefore;
                if (Due(config.Eval.EvalStrategy, config.Eval.EvalSteps, step, epochEnded)) Evaluate();
                if (Due(config.Checkpoint.SaveStrategy, config.Checkpoint.SaveSteps, step, epochEnded)) Save();
                _options.StepCompleted?.Invoke(step);
                if ((dp.IsDistributed ? agreed.StopRequested : cancellationToken.IsCancellationRequested) && step < totalSteps)
                {
                    status = "cancelled";
                    // The step's scheduled checkpoint, if it just had one, already holds everything a resume needs.
                    var savedNow = Due(config.Checkpoint.SaveStrategy, config.Checkpoint.SaveSteps, step, epochEnded);
                    progress.Line(savedNow ? $"cancelled after step {step}, just saved" : $"cancelled after step {step}; saving a checkpoint");
                    if (!savedNow) Save();
                    break;
                }
            }

            if (status == "success" && config.Eval.EvalStrategy != "no" && lastEvalStep != step) Evaluate();
            if (status == "success" && dp.IsMain)
            {
                var finalDir = Path.Combine(runDir, "final");
                // Written aside and renamed: a run killed here leaves no half-written final/ (and a rerun into the same
                // folder, TrainerOptions.RunDirectory, replaces the old one whole).
                AtomicWrite.Folder(finalDir, final =>
                {
                    if (adapter is not null)
                    {
                        AdapterCheckpoint.Save(adapter, final);
                    }
                    else if (model is TransformerModel full && modulesToSave.Count == 0)
                    {
                        // A full transformer is saved as HF's save_pretrained would: config.json + model.safetensors in HF's layout.
                        PretrainedTransformer.SaveWithTokenizer(full, final, config.Data.Tokenizer);
                    }
                    else
                    {
                        using var weights = TrainableParameters.WeightsToSave(model, modulesToSave);
                        SafetensorsWriter.Write(Path.Combine(final, TrainingCheckpoint.ModelFile), weights,
                            new Dictionary<string, string> { ["format"] = "pt", ["lrt_weights"] = modulesToSave.Count > 0 ? "trainable" : "full" });
                    }
                    var card = new ModelCard.Facts(config, runName, step, totalSteps, Epoch(), lastEval, metrics.History.ToList(), counts,
                                                   adapter?.Describe(), TorchRuntime.GetBuildInfo().TorchVersion);
                    File.WriteAllText(Path.Combine(final, ModelCard.FileName), ModelCard.Render(card));
                });
            }
        }
        catch (Exception e) when (e is NonFiniteLossException or TorchException or IOException)
        {
            runDevice.Finish();
            progress.Finish();
            try
            {
                WriteSummary("failed", e.Message);
            }
            catch (IOException)
            {
                // The disk that failed the run may fail the summary too; the run's own error is the one to report.
            }
            throw;
        }
        runDevice.Finish();
        progress.Finish();
        var summary = WriteSummary(status, null);
        // No rank leaves before rank 0 has written everything: leaving closes connections rank 0 may still use.
        dp.Barrier();
        var accuracy = summary.EvalAccuracy is { } acc ? string.Create(CultureInfo.InvariantCulture, $", eval accuracy {acc:P2}") : "";
        // A run stopped before its first logged step has no train loss yet.
        var trainLoss = summary.TrainLoss is { } l ? string.Create(CultureInfo.InvariantCulture, $"; train loss {l:F4}") : "";
        var gpu = runDevice.Peak() is { } peak ? $"; {peak}" : "";
        progress.Line(string.Create(CultureInfo.InvariantCulture,
            $"{status}: {step} steps in {summary.TrainRuntime:F1} s ({summary.TrainSamplesPerSecond:F0} samples/s){trainLoss}{accuracy}{lossScaling?.Summary()}{gpu}"));
        return new TrainResult(runDir, summary, lastCheckpoint);

        RunSummary WriteSummary(string outcome, string? error)
        {
            var gpuPeak = runDevice.Peak();
            var summary = new RunSummary
            {
                Status = outcome, ErrorMsg = error, RunName = runName, CreatedAt = createdAt, ResumedFrom = resumeFrom,
                GlobalStep = step, MaxSteps = totalSteps, Epoch = Epoch(),
                TrainLoss = metrics.History.LastOrDefault(e => e.Loss is not null)?.Loss,
                FirstTrainLoss = metrics.History.FirstOrDefault(e => e.Loss is not null && e.Step == 1)?.Loss,
                EvalLoss = lastEval?.Loss, EvalAccuracy = lastEval?.Accuracy, EvalF1 = lastEval?.MacroF1, EvalAccuracyByDim = lastEval?.AccuracyByDim,
                EvalAccuracyByLayerDim = lastEval?.AccuracyByLayerDim, EvalMetrics = lastEval?.Metrics,
                TrainRuntime = clock.Elapsed.TotalSeconds, TrainSamplesPerSecond = totalSamples / Math.Max(loopClock.Elapsed.TotalSeconds, 1e-9),
                NumTrainableParams = counts.Trainable, NumTotalParams = counts.Total,
                TrainStepSeconds = step > startStep ? stepClock.Elapsed.TotalSeconds / (step - startStep) : null,
                RssAtTrainStartBytes = rssAtTrainStart, PeakRssBytes = ProcessMemory.PeakResidentBytes(),
                HeapAtTrainStartBytes = heapAtTrainStart, PeakHeapBytes = peakHeap,
                SkippedSteps = watchdog.SkippedSteps > 0 ? watchdog.SkippedSteps : null, Device = runDevice.Device.ToString(),
                GpuMemPeakAllocMib = gpuPeak?.PeakAllocatedMib, GpuMemPeakReservedMib = gpuPeak?.PeakReservedMib,
            };
            summary = lossScaling?.Annotate(summary) ?? summary;
            if (!dp.IsMain) return summary;
            AtomicWrite.Text(Path.Combine(runDir, "summary.json"), summary.ToJson());
            RunPlots.Write(runDir, runName, metrics.History);
            return summary;
        }
    }

    /// <summary>
    /// Injects the configured adapter into <paramref name="model"/> (a fresh base). A target that matches
    /// nothing, or a missing module to save, is a config error: the message names the <c>adapter</c> keys
    /// and lists the model's modules.
    /// </summary>
    /// <exception cref="ArgumentException">The adapter does not fit the model.</exception>
    public static AdapterModel InjectAdapter(Module model, AdapterOptions options)
    {
        try
        {
            return AdapterModel.Inject(model, options);
        }
        catch (ArgumentException e)
        {
            var message = e.ParamName is { } p ? e.Message.Replace($" (Parameter '{p}')", "", StringComparison.Ordinal) : e.Message;
            throw new ArgumentException($"adapter: {message}", e);
        }
    }

    // "steps": every `every` steps; "epoch": when this step finished an epoch; "no": never.
    private static bool Due(string strategy, int every, long step, bool epochEnded) => strategy switch
    {
        "steps" => every > 0 && step % every == 0,
        "epoch" => epochEnded,
        "no" => false,
        _ => throw new ArgumentException($"unknown strategy '{strategy}'; known: no, steps, epoch"),
    };
}
