using System.Globalization;
using System.Text.Json.Nodes;
using LowRankTrainer.Cli.Verbs;
using LowRankTrainer.Config;
using LowRankTrainer.Models;
using LowRankTrainer.Runs;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;
using LowRankTrainer.Training;

namespace LowRankTrainer.Cli.Tests.Verbs;

/// <summary>
/// <c>lrt eval</c> and <c>lrt merge</c> on tiny runs trained in-process by <c>lrt train</c> from the shipped configs, on a
/// 16-feature CSV of four Gaussian blobs (256 training and 64 evaluation rows), so each run takes about a second.
/// </summary>
/// <remarks>
/// The merge tolerance: a merged layer computes (W₀ + ΔW)x where the adapter computed W₀x + Δ(x), the same sums in
/// another order. In float32 (unit roundoff u = 2⁻²⁴ ≈ 6e-8) a dot product of n terms is off by at most about n·u of the
/// sum of the magnitudes of its terms (Higham's γₙ); with n ≤ 256 terms per layer that is ≤ 1.5e-5 per layer in the worst
/// case, typically √n·u ≈ 1e-6. So 1e-4 × max |logit| is rounding with room to spare (measured: ≤ 5e-7 relative), while
/// every adapter here moves the logits by ≥ 1e-2 × max |logit|: a merge that dropped or doubled ΔW could not pass.
/// <c>lrt merge</c> probes in the run's precision (<see cref="EvalPlacement"/>), so the tests of that fp32 bound pin
/// <c>train.dtype: fp32</c> (on a GPU machine <c>auto</c> would be bf16); under bf16 autocast merged and unmerged logits
/// round apart by a bf16 ulp or two of max |logit| (2⁻⁸ ≈ 4e-3; measured with CPU autocast: 4e-3 to 7e-3 for every
/// method), which <see cref="Bf16ProbeTolerance"/> bounds.
/// </remarks>
public sealed class EvalMergeVerbTests : IDisposable
{
    private const double MergeTolerance = 1e-4;
    private const double Bf16ProbeTolerance = 1.0 / 64;
    private const int EvalBatch = 32;
    private readonly string _root = Directory.CreateTempSubdirectory("lrt-evalmerge-").FullName;

    public EvalMergeVerbTests()
    {
        // Four blob centres ~ N(0, 3²) in 16-d, each row its centre plus N(0, 1) noise; System.Random, so the files are the same everywhere.
        var random = new Random(5);
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        var centres = Enumerable.Range(0, 4).Select(_ => Enumerable.Range(0, 16).Select(_ => 3 * Normal()).ToArray()).ToArray();
        foreach (var (file, rows) in new[] { ("train.csv", 256), ("eval.csv", 64) })
        {
            var lines = new List<string> { string.Join(",", Enumerable.Range(0, 16).Select(i => $"f{i}")) + ",label" };
            for (var r = 0; r < rows; r++)
            {
                var label = random.Next(4);
                lines.Add(string.Join(",", centres[label].Select(c => (c + Normal()).ToString("F4", CultureInfo.InvariantCulture))) + "," + label);
            }
            File.WriteAllLines(Path.Combine(_root, file), lines);
        }
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static string Config(params string[] parts) => Path.Combine([CliTestPaths.RepositoryRoot(), "configs", .. parts]);

    /// <summary>Trains <paramref name="config"/> on the CSV for 5 steps (evaluating at the end) and returns the run folder.</summary>
    private string Train(string config, params string[] extra)
    {
        string[] args =
        [
            config, "data.dataset=csv", $"data.path={Path.Combine(_root, "train.csv")}", $"data.eval_path={Path.Combine(_root, "eval.csv")}",
            "data.label_column=label", $"data.feature_columns=[{string.Join(",", Enumerable.Range(0, 16).Select(i => $"f{i}"))}]",
            "model.num_classes=4", "train.max_steps=5", "train.learning_rate=1e-2", $"eval.per_device_eval_batch_size={EvalBatch}",
            "checkpoint.save_strategy=no", $"train.output_dir={Path.Combine(_root, "runs")}", .. extra,
        ];
        var (code, output, err) = CliRun.Run(TrainVerb.Run, args);
        Assert.True(code == ExitCodes.Ok, err);
        return output.Split('\n').First(l => l.StartsWith("run folder: ", StringComparison.Ordinal))["run folder: ".Length..].Trim();
    }

    private static RunSummary Summary(string runDir) => RunSummary.FromJson(File.ReadAllText(Path.Combine(runDir, "summary.json")));

    private static JsonObject ReadJson(string path) => (JsonObject)JsonNode.Parse(File.ReadAllText(path))!;

    private static double MaxAbs(Tensor t)
    {
        using var abs = t.Abs();
        using var max = abs.Max();
        return max.ToDouble();
    }

    /// <summary>
    /// Evaluates <paramref name="model"/> (a fresh model of the merged weights) on the device the run trained on
    /// (<see cref="EvalPlacement"/>: the CPU here, cuda:0 on a GPU machine), in fp32 as the runs that call this pin, so its
    /// numbers compare with the run's summary within the merge's tolerance.
    /// </summary>
    private static EvalResult EvaluateAsTheRunDid(RunModel run, Module<Tensor, Tensor> model, int batch)
    {
        var placement = EvalPlacement.For(run.Config.Train);
        Assert.Equal("fp32", placement.Precision.Name);
        placement.MoveModel(model);
        return run.Loss.Evaluate(model, run.Data.Eval!, batch);
    }

    private static MergeReport ReadReport(string folder) => MergeReport.FromJson(File.ReadAllText(Path.Combine(folder, AdapterMerge.ReportFile)));

    /// <summary>The run reopened where <c>lrt merge</c> reopens it: its own placement (<see cref="EvalPlacement.For(TrainConfig, string?)"/>).</summary>
    private static RunModel OpenAtItsPlacement(string runDir)
    {
        var location = RunLocation.Find(runDir);
        var config = ConfigLoader.Load(location.ConfigFile).Config!;
        return RunModel.Open(location, config, EvalPlacement.For(config.Train));
    }

    /// <summary>max |logit| of <paramref name="run"/>'s unmerged model on the merge's one-batch probe.</summary>
    private static double ProbeMaxAbsLogit(RunModel run)
    {
        using var scope = new DisposeScope();
        return MaxAbs(run.Logits(AdapterMerge.ProbeInputs(run, 1).Inputs));
    }

    /// <summary>Rewrites the <c>train.device: cpu</c> of <paramref name="runDir"/>'s config.yaml to <c>cuda</c>, as if it had
    /// trained on a GPU with that setting (the weights are host tensors either way).</summary>
    private static void PretendItTrainedOnCuda(string runDir)
    {
        var configFile = Path.Combine(runDir, "config.yaml");
        var yaml = File.ReadAllText(configFile);
        Assert.Contains("  device: cpu\n", yaml, StringComparison.Ordinal);
        File.WriteAllText(configFile, yaml.Replace("  device: cpu\n", "  device: cuda\n", StringComparison.Ordinal));
    }

    /// <summary>The two verbs that reopen a run, by name, for the tests of what they share (<c>--device</c>, the placement).</summary>
    private static CliRun.Entry Verb(string name) => name == "eval" ? EvalVerb.Run : MergeVerb.Run;

    [Fact]
    public void Eval_FullRun_ReproducesTheRunsSummaryExactly_AndWritesEvalJsonNextToTheWeights()
    {
        var run = Train(Config("quickstart.yaml"));
        var (code, output, err) = CliRun.Run(EvalVerb.Run, run);
        Assert.True(code == ExitCodes.Ok, err);
        var summary = Summary(run);
        var json = ReadJson(Path.Combine(run, "final", EvalVerb.OutputFile));
        // Same weights, same batches, same code: the very same doubles, not merely close ones.
        Assert.Equal(summary.EvalLoss!.Value, json["eval_loss"]!.GetValue<double>());
        Assert.Equal(summary.EvalAccuracy!.Value, json["eval_accuracy"]!.GetValue<double>());
        Assert.Equal(summary.EvalF1!.Value, json["eval_f1"]!.GetValue<double>());
        Assert.Equal(64, json["num_samples"]!.GetValue<long>());
        Assert.Contains("eval on 64 rows: eval_loss", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Eval_TrainSplitToOut_EqualsEvaluatingTheTrainingFileAsTheEvalSplit()
    {
        var run = Train(Config("quickstart.yaml"));
        var trainJson = Path.Combine(_root, "train-eval.json");
        var (code, _, err) = CliRun.Run(EvalVerb.Run, run, "--split", "train", "--out", trainJson);
        Assert.True(code == ExitCodes.Ok, err);
        // The other route to the same rows: the training file named as the evaluation file by an override.
        var (code2, output2, err2) = CliRun.Run(EvalVerb.Run, run, $"data.eval_path={Path.Combine(_root, "train.csv")}", "--json", "--out", Path.Combine(_root, "b.json"));
        Assert.True(code2 == ExitCodes.Ok, err2);
        var viaTrain = ReadJson(trainJson);
        var viaOverride = (JsonObject)JsonNode.Parse(output2)!;
        Assert.Equal(256, viaTrain["num_samples"]!.GetValue<long>());
        Assert.Equal(viaOverride["eval_loss"]!.GetValue<double>(), viaTrain["train_loss"]!.GetValue<double>());
        Assert.Equal(viaOverride["eval_accuracy"]!.GetValue<double>(), viaTrain["train_accuracy"]!.GetValue<double>());
        Assert.False(File.Exists(Path.Combine(run, "final", EvalVerb.OutputFile)));
    }

    [Fact]
    public void Eval_AdapterRunAndItsCheckpoint_ReproduceTheSummaryAndTheEvalLoggedAtThatStep()
    {
        var run = Train(Config("methods", "lora.yaml"), "train.max_steps=6", "eval.eval_strategy=steps", "eval.eval_steps=3",
                        "checkpoint.save_strategy=steps", "checkpoint.save_steps=3");
        var (code, output, err) = CliRun.Run(EvalVerb.Run, run, "--json");
        Assert.True(code == ExitCodes.Ok, err);
        var json = (JsonObject)JsonNode.Parse(output)!;
        var summary = Summary(run);
        Assert.Equal(summary.EvalLoss!.Value, json["eval_loss"]!.GetValue<double>());
        Assert.Equal(summary.EvalAccuracy!.Value, json["eval_accuracy"]!.GetValue<double>());

        var checkpoint = Path.Combine(run, "checkpoints", "step-000003");
        (code, output, err) = CliRun.Run(EvalVerb.Run, checkpoint, "--json");
        Assert.True(code == ExitCodes.Ok, err);
        json = (JsonObject)JsonNode.Parse(output)!;
        var logged = File.ReadLines(Path.Combine(run, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!)
            .Single(e => e["eval_loss"] is not null && e["step"]!.GetValue<long>() == 3);
        Assert.Equal(3, json["global_step"]!.GetValue<long>());
        Assert.Equal(logged["eval_loss"]!.GetValue<double>(), json["eval_loss"]!.GetValue<double>());
        Assert.NotEqual(summary.EvalLoss!.Value, json["eval_loss"]!.GetValue<double>());
        Assert.True(File.Exists(Path.Combine(checkpoint, EvalVerb.OutputFile)));
    }

    [Fact]
    public void Eval_SyntheticLinearLoraRun_ReproducesItsLossAndLinearMapMetrics()
    {
        // A config-only dataset (no files) whose evaluation adds eval_metrics: effective_rank and rank_floor.
        var (code, output, err) = CliRun.Run(TrainVerb.Run, Config("recipes", "synthetic_linear", "lora.yaml"), "data.synthetic_dim=32",
                                             "train.max_steps=20", "checkpoint.save_strategy=no", $"train.output_dir={Path.Combine(_root, "runs")}");
        Assert.True(code == ExitCodes.Ok, err);
        var run = output.Split('\n').First(l => l.StartsWith("run folder: ", StringComparison.Ordinal))["run folder: ".Length..].Trim();
        (code, output, err) = CliRun.Run(EvalVerb.Run, run, "--json");
        Assert.True(code == ExitCodes.Ok, err);
        var json = (JsonObject)JsonNode.Parse(output)!;
        var summary = Summary(run);
        Assert.Equal(summary.EvalLoss!.Value, json["eval_loss"]!.GetValue<double>());
        var metrics = json["eval_metrics"]!.AsObject();
        Assert.Equal(summary.EvalMetrics!["effective_rank"], metrics["effective_rank"]!.GetValue<double>());
        Assert.Equal(summary.EvalMetrics!["rank_floor"], metrics["rank_floor"]!.GetValue<double>());
        Assert.Equal(4, summary.EvalMetrics!["effective_rank"]); // LoRA r = 4 from W₀ = 0: the learned map has rank 4
    }

    [Theory]
    [InlineData("lora")]
    [InlineData("lora_xs")]
    [InlineData("lora_sb")]
    [InlineData("svfit")]
    [InlineData("randlora")]
    [InlineData("lotr")]
    [InlineData("intrinsic")]
    public void Merge_EveryMethod_MatchesTheAdapterAndLoadsAsModelPretrainedWithTheRunsAccuracy(string method)
    {
        // fp32 wherever it runs (the run's device: the CPU here, the GPU on a GPU machine), for the fp32 bound above.
        var run = Train(Config("methods", method + ".yaml"), "train.dtype=fp32");
        var (code, output, err) = CliRun.Run(MergeVerb.Run, run);
        Assert.True(code == ExitCodes.Ok, err);
        Assert.Contains("max |Δlogit|", output, StringComparison.Ordinal);
        var merged = Path.Combine(run, "merged");
        var report = ReadReport(merged);
        Assert.Equal(method, report.Method);
        Assert.Equal("fp32", report.Precision);
        Assert.Equal(EvalBatch, report.ProbeSamples);
        Assert.True(report.MaxRelDiff < MergeTolerance, $"{method}: merged vs unmerged max |Δlogit| {report.MaxAbsDiff} of max |logit| {report.MaxAbsLogit}");
        Assert.True(report.MaxAbsBaseDiff > 100 * MergeTolerance * report.MaxAbsLogit, $"{method}: the adapter moved the logits by only {report.MaxAbsBaseDiff}");

        // The independent check: a fresh model of another seed, no adapter, with model.pretrained: merged/ (strict: every
        // tensor under the base's own name, nothing else) computes what the adapter run computes.
        using var adapted = RunModel.Open(run);
        using var generator = new Generator(999);
        var config = adapted.Config.Model with { Pretrained = merged };
        using var fresh = ModelFactory.Build(config, generator, inputFeatures: 16, adapted.Config.Loss);
        using var scope = new DisposeScope();
        var probe = adapted.Data.Eval!.Inputs.Narrow(0, 0, EvalBatch);
        var expected = adapted.Logits(probe);
        fresh.Eval();
        Tensor actual;
        using (Autograd.NoGrad()) actual = fresh.Forward(probe);
        var diff = MaxAbs(actual.Sub(expected));
        Assert.True(diff < MergeTolerance * MaxAbs(expected), $"{method}: model.pretrained of the merged file is off by {diff}");
        var summary = Summary(run);
        var evaluated = EvaluateAsTheRunDid(adapted, fresh, EvalBatch);
        Assert.Equal(summary.EvalAccuracy!.Value, evaluated.Accuracy!.Value);
        Assert.Equal(summary.EvalLoss!.Value, evaluated.Loss, summary.EvalLoss!.Value * MergeTolerance);
    }

    [Fact]
    public void Merge_ExistingOutput_IsRefusedWithoutForce_AndReplacedWholeWithIt()
    {
        var run = Train(Config("methods", "lora.yaml"));
        var output = Path.Combine(_root, "out");
        Directory.CreateDirectory(output);
        File.WriteAllText(Path.Combine(output, "keep.txt"), "mine");
        var (code, _, err) = CliRun.Run(MergeVerb.Run, run, "--out", output);
        Assert.Equal(ExitCodes.Failure, code);
        Assert.Contains(output, err, StringComparison.Ordinal);
        Assert.Contains("--force", err, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(output, "keep.txt")));

        (code, _, err) = CliRun.Run(MergeVerb.Run, Path.Combine(run, "final"), "--out", output, "--force", "--probe-batches", "2");
        Assert.True(code == ExitCodes.Ok, err);
        Assert.False(File.Exists(Path.Combine(output, "keep.txt")));
        Assert.True(File.Exists(Path.Combine(output, "model.safetensors")));
        Assert.Equal(64, ReadReport(output).ProbeSamples);
        // No temporary or moved-aside folder is left beside it.
        Assert.Equal(["out"], Directory.GetDirectories(_root).Select(d => Path.GetFileName(d)).Where(n => n.Contains("out", StringComparison.Ordinal)));
    }

    [Fact]
    public void Merge_RunWithoutAdapter_IsRefusedWithAClearMessage()
    {
        var run = Train(Config("quickstart.yaml"));
        var (code, _, err) = CliRun.Run(MergeVerb.Run, run);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("is not an adapter run (adapter.method: none)", err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(run, "merged")));
    }

    [Fact]
    public void Eval_AdapterThatDoesNotFitTheConfig_FailsNamingTheFolder()
    {
        var run = Train(Config("methods", "lora.yaml"));
        var (code, _, err) = CliRun.Run(EvalVerb.Run, run, "adapter.r=4");
        Assert.Equal(ExitCodes.Failure, code);
        Assert.Contains(Path.Combine(run, "final"), err, StringComparison.Ordinal);
        Assert.Contains("lora_A", err, StringComparison.Ordinal);
    }

    [Fact]
    public void EvalAndMerge_PathsThatAreNoRun_AreNamedInTheError()
    {
        var empty = Directory.CreateDirectory(Path.Combine(_root, "empty")).FullName;
        var (code, _, err) = CliRun.Run(EvalVerb.Run, empty);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains($"'{empty}' is not a run folder", err, StringComparison.Ordinal);

        var noConfig = Directory.CreateDirectory(Path.Combine(_root, "no-config")).FullName;
        File.WriteAllText(Path.Combine(noConfig, "summary.json"), "{}");
        (code, _, err) = CliRun.Run(MergeVerb.Run, noConfig);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains($"'{noConfig}' has no config.yaml", err, StringComparison.Ordinal);

        var noWeights = Directory.CreateDirectory(Path.Combine(_root, "no-weights")).FullName;
        File.WriteAllText(Path.Combine(noWeights, "config.yaml"), "name: x\n");
        (code, _, err) = CliRun.Run(EvalVerb.Run, noWeights);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains($"'{noWeights}' has no final/ and no checkpoint", err, StringComparison.Ordinal);

        var file = Path.Combine(_root, "train.csv");
        (code, _, err) = CliRun.Run(EvalVerb.Run, file);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains($"'{file}' is a file", err, StringComparison.Ordinal);

        (code, _, err) = CliRun.Run(MergeVerb.Run, empty, "--probe-batches", "0");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("--probe-batches takes a positive whole number", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Merge_Gpt2Lora_WritesAnHfFolderThatLoadsAsModelPretrained_AndEvalReproducesTheRun()
    {
        // A 2-layer, 32-wide GPT-2 over the Brown BPE tokenizer's 8,192 ids, classifying made-up two-topic sentences; in fp32
        // wherever it runs, for the merge's fp32 bound (class remarks).
        var random = new Random(1);
        string[] words = ["spam", "money", "free", "offer", "click", "win", "meeting", "lunch", "report", "project", "hello", "team"];
        foreach (var (file, rows) in new[] { ("train.jsonl", 64), ("eval.jsonl", 32) })
        {
            File.WriteAllLines(Path.Combine(_root, file), Enumerable.Range(0, rows).Select(_ =>
            {
                var label = random.Next(2);
                var text = string.Join(" ", Enumerable.Range(0, random.Next(3, 9)).Select(_ => words[6 * (1 - label) + random.Next(6)]));
                return new JsonObject { ["text"] = text, ["label"] = label }.ToJsonString();
            }));
        }
        var hf = Path.Combine(_root, "gpt2.json");
        File.WriteAllText(hf, """
            {"model_type": "gpt2", "vocab_size": 8192, "n_positions": 32, "n_embd": 32, "n_layer": 2, "n_head": 4,
             "resid_pdrop": 0.0, "embd_pdrop": 0.0, "attn_pdrop": 0.0}
            """);
        var tokenizer = Path.Combine(CliTestPaths.RepositoryRoot(), "experiments", "gpt2_brown_spam", "tokenizer", "tokenizer.json");
        var yaml = Path.Combine(_root, "gpt2.yaml");
        File.WriteAllText(yaml, $$"""
            name: gpt2-tiny
            model: {name: gpt2, hf_config: "{{hf}}", task: sequence_classification, num_classes: 2}
            adapter: {method: lora, r: 4, lora_alpha: 8, target_modules: [c_attn, c_fc]}
            data: {dataset: text_jsonl, path: "{{Path.Combine(_root, "train.jsonl")}}", eval_path: "{{Path.Combine(_root, "eval.jsonl")}}", tokenizer: "{{tokenizer}}", max_length: 16, pad_token_id: 8191}
            train: {output_dir: "{{Path.Combine(_root, "runs")}}", max_steps: 4, per_device_train_batch_size: 16, learning_rate: 1.0e-2, seed: 3, dtype: fp32}
            eval: {eval_strategy: steps, eval_steps: 100, per_device_eval_batch_size: 16}
            checkpoint: {save_strategy: "no"}
            """);
        var (code, output, err) = CliRun.Run(TrainVerb.Run, yaml);
        Assert.True(code == ExitCodes.Ok, err);
        var run = output.Split('\n').First(l => l.StartsWith("run folder: ", StringComparison.Ordinal))["run folder: ".Length..].Trim();

        (code, output, err) = CliRun.Run(EvalVerb.Run, run, "--json");
        Assert.True(code == ExitCodes.Ok, err);
        Assert.Equal(Summary(run).EvalLoss!.Value, JsonNode.Parse(output)!["eval_loss"]!.GetValue<double>());

        (code, _, err) = CliRun.Run(MergeVerb.Run, run);
        Assert.True(code == ExitCodes.Ok, err);
        var merged = Path.Combine(run, "merged");
        foreach (var file in new[] { "config.json", "model.safetensors", "tokenizer.json", AdapterMerge.ReportFile }) Assert.True(File.Exists(Path.Combine(merged, file)), file);
        var report = ReadReport(merged);
        Assert.Equal("hf", report.Layout);
        Assert.True(report.MaxRelDiff < MergeTolerance, $"max |Δlogit| {report.MaxAbsDiff} of {report.MaxAbsLogit}");
        Assert.True(report.MaxAbsBaseDiff > 100 * MergeTolerance * report.MaxAbsLogit, $"the adapter moved the logits by only {report.MaxAbsBaseDiff}");

        // HF's layout read back by from_pretrained's rules (strict; Conv1D weights transposed back) into a fresh model of another seed.
        using var adapted = RunModel.Open(run);
        using var generator = new Generator(999);
        using var fresh = ModelFactory.Build(adapted.Config.Model with { Pretrained = merged, HfConfig = null }, generator, null, adapted.Config.Loss,
                                             adapted.Data.Train.ClassNames, adapted.Data.PadTokenId);
        using var scope = new DisposeScope();
        var probe = adapted.Data.Eval!.Inputs.Narrow(0, 0, 16);
        var expected = adapted.Logits(probe);
        fresh.Eval();
        Tensor actual;
        using (Autograd.NoGrad()) actual = fresh.Forward(probe);
        Assert.True(MaxAbs(actual.Sub(expected)) < MergeTolerance * MaxAbs(expected));
        Assert.Equal(Summary(run).EvalAccuracy!.Value, EvaluateAsTheRunDid(adapted, fresh, 16).Accuracy!.Value);
    }

    [Theory]
    [InlineData("eval")]
    [InlineData("merge")]
    public void EvalAndMerge_DeviceOption_IsValidatedBeforeTheRunIsOpened(string verb)
    {
        var (code, _, err) = CliRun.Run(Verb(verb), Path.Combine(_root, "no-such-run"), "--device", "gpu");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains($"lrt {verb}: --device must be {TrainingDevice.Choices} (got 'gpu')", err, StringComparison.Ordinal);
        (code, _, err) = CliRun.Run(Verb(verb), Path.Combine(_root, "no-such-run"), "--device");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains($"lrt {verb}: --device needs a value", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Eval_DeviceCpu_OnACpuRun_ReproducesTheSummary()
    {
        var run = Train(Config("quickstart.yaml"));
        var (code, output, err) = CliRun.Run(EvalVerb.Run, run, "--device", "cpu", "--json");
        Assert.True(code == ExitCodes.Ok, err);
        Assert.Equal(Summary(run).EvalLoss!.Value, JsonNode.Parse(output)!["eval_loss"]!.GetValue<double>());
    }

    [NoGpuFact]
    public void EvalAndMerge_DeviceCudaWithoutAGpu_IsAUsageErrorNamingTheOption()
    {
        var run = Train(Config("methods", "lora.yaml"));
        foreach (var verb in new[] { "eval", "merge" })
        {
            var (code, _, err) = CliRun.Run(Verb(verb), run, "--device", "cuda");
            Assert.Equal(ExitCodes.Usage, code);
            Assert.Contains($"lrt {verb}: --device is cuda, but", err, StringComparison.Ordinal);
        }
        Assert.False(Directory.Exists(Path.Combine(run, "merged")));
    }

    [NoGpuFact]
    public void EvalAndMerge_RunThatNamesCuda_WithoutAGpu_WorkOnTheCpuWithANote()
    {
        var run = Train(Config("methods", "lora.yaml"), "train.device=cpu");
        PretendItTrainedOnCuda(run);
        var (code, output, err) = CliRun.Run(EvalVerb.Run, run, "--json");
        Assert.True(code == ExitCodes.Ok, err);
        Assert.Contains("lrt eval: note: the run trained with train.device cuda, not usable here", err, StringComparison.Ordinal);
        Assert.Single(err.Trim().Split('\n'));
        Assert.Equal(Summary(run).EvalLoss!.Value, JsonNode.Parse(output)!["eval_loss"]!.GetValue<double>());

        (code, _, err) = CliRun.Run(MergeVerb.Run, run);
        Assert.True(code == ExitCodes.Ok, err);
        Assert.Contains("lrt merge: note: the run trained with train.device cuda, not usable here", err, StringComparison.Ordinal);
        Assert.Single(err.Trim().Split('\n'));
        var report = ReadReport(Path.Combine(run, "merged"));
        Assert.Equal(("cpu", "fp32"), (report.Device, report.Precision));
        Assert.True(report.MaxRelDiff < MergeTolerance, $"max |Δlogit| {report.MaxAbsDiff} of {report.MaxAbsLogit}");
    }

    [Fact]
    public void Merge_CpuRun_ProbesOnTheHostInFp32_AndDeviceCpuWritesTheSameBytes()
    {
        var run = Train(Config("methods", "lora.yaml"), "train.device=cpu"); // a CPU run on a GPU machine too
        var (code, output, err) = CliRun.Run(MergeVerb.Run, run);
        Assert.True(code == ExitCodes.Ok, err);
        Assert.Equal("", err);
        Assert.Contains("probe: 32 eval rows (1 batch) on cpu in fp32;", output, StringComparison.Ordinal);
        var report = ReadReport(Path.Combine(run, "merged"));
        Assert.Equal(("cpu", "fp32"), (report.Device, report.Precision));
        // The probe is what the host-side fp32 model computes (EvalPlacement.Host: where merge probed before it followed the run).
        using (var host = RunModel.Open(run)) Assert.Equal(ProbeMaxAbsLogit(host), report.MaxAbsLogit);

        var other = Path.Combine(_root, "merged-cpu");
        (code, _, err) = CliRun.Run(MergeVerb.Run, run, "--device", "cpu", "--out", other);
        Assert.True(code == ExitCodes.Ok, err);
        var again = ReadReport(other);
        Assert.Equal(report with { Output = again.Output }, again);
        Assert.Equal(File.ReadAllBytes(Path.Combine(run, "merged", "model.safetensors")), File.ReadAllBytes(Path.Combine(other, "model.safetensors")));
    }

    [Fact]
    public void Merge_Bf16Run_ProbesInBf16_TheRunsOwnLogits_AndStillMergesInFp32()
    {
        // CPU autocast: the bf16 path without a GPU (and on the CPU on a GPU machine too).
        var run = Train(Config("methods", "lora.yaml"), "train.device=cpu", "train.dtype=bf16");
        var (code, output, err) = CliRun.Run(MergeVerb.Run, run);
        Assert.True(code == ExitCodes.Ok, err);
        Assert.Contains("on cpu in bf16;", output, StringComparison.Ordinal);
        var merged = Path.Combine(run, "merged");
        var report = ReadReport(merged);
        Assert.Equal(("cpu", "bf16"), (report.Device, report.Precision));
        Assert.True(report.MaxRelDiff < Bf16ProbeTolerance, $"max |Δlogit| {report.MaxAbsDiff} of {report.MaxAbsLogit}");
        using (var own = OpenAtItsPlacement(run)) Assert.Equal(ProbeMaxAbsLogit(own), report.MaxAbsLogit);
        using var host = RunModel.Open(run);
        Assert.NotEqual(ProbeMaxAbsLogit(host), report.MaxAbsLogit); // the fp32 number, which the probe no longer reports

        // ΔW was formed and added in fp32, outside the autocast region: the merged file computes in fp32 what the adapter
        // does within the fp32 bound (a bf16 ΔW would be off by ~1e-3 relative).
        using var generator = new Generator(999);
        using var fresh = ModelFactory.Build(host.Config.Model with { Pretrained = merged }, generator, inputFeatures: 16, host.Config.Loss);
        using var scope = new DisposeScope();
        var probe = host.Data.Eval!.Inputs.Narrow(0, 0, EvalBatch);
        var expected = host.Logits(probe);
        fresh.Eval();
        Tensor actual;
        using (Autograd.NoGrad()) actual = fresh.Forward(probe);
        Assert.True(MaxAbs(actual.Sub(expected)) < MergeTolerance * MaxAbs(expected));
    }

    [GpuFact]
    public void Eval_CudaRunWithDtypeAuto_ReproducesTheSummaryExactly_OnTheGpuInBf16()
    {
        var run = Train(Config("quickstart.yaml"), "train.device=cuda", "train.dtype=auto");
        var summary = Summary(run);
        Assert.StartsWith("cuda", summary.Device, StringComparison.Ordinal);
        var (code, output, err) = CliRun.Run(EvalVerb.Run, run, "--json");
        Assert.True(code == ExitCodes.Ok, err);
        Assert.DoesNotContain("note:", err, StringComparison.Ordinal);
        var json = JsonNode.Parse(output)!;
        Assert.Equal(summary.EvalLoss!.Value, json["eval_loss"]!.GetValue<double>());
        Assert.Equal(summary.EvalAccuracy!.Value, json["eval_accuracy"]!.GetValue<double>());
        // On the CPU in fp32 instead: the same model, other rounding (bf16 autocast's unit roundoff is 2⁻⁸).
        (code, output, err) = CliRun.Run(EvalVerb.Run, run, "--device", "cpu", "--json");
        Assert.True(code == ExitCodes.Ok, err);
        Assert.Equal(summary.EvalLoss!.Value, JsonNode.Parse(output)!["eval_loss"]!.GetValue<double>(), summary.EvalLoss!.Value * 0.05);
    }

    [GpuFact]
    public void Eval_CudaFp32RunWithTf32_ReproducesTheSummaryExactly_WithTf32BackOn()
    {
        // TF32 rounds fp32 matmul inputs to 10 mantissa bits: an eval without it would differ from the run's in the last digits.
        var run = Train(Config("quickstart.yaml"), "train.device=cuda", "train.dtype=fp32", "train.tf32=true");
        var summary = Summary(run);
        var (code, output, err) = CliRun.Run(EvalVerb.Run, run, "--json");
        Assert.True(code == ExitCodes.Ok, err);
        var json = JsonNode.Parse(output)!;
        Assert.Equal(summary.EvalLoss!.Value, json["eval_loss"]!.GetValue<double>());
        Assert.Equal(summary.EvalAccuracy!.Value, json["eval_accuracy"]!.GetValue<double>());
        Assert.False(Cuda.SetAllowTf32(false), "lrt eval must restore the process's TF32 switch");
    }

    [GpuFact]
    public void Merge_CudaRunWithDtypeAuto_ProbesOnTheGpuInBf16_AndOnTheCpuInFp32WithDeviceCpu()
    {
        var run = Train(Config("methods", "lora.yaml"), "train.device=cuda", "train.dtype=auto");
        var (code, output, err) = CliRun.Run(MergeVerb.Run, run);
        Assert.True(code == ExitCodes.Ok, err);
        Assert.DoesNotContain("note:", err, StringComparison.Ordinal);
        Assert.Contains("on cuda:0 in bf16;", output, StringComparison.Ordinal);
        var report = ReadReport(Path.Combine(run, "merged"));
        Assert.Equal(("cuda:0", "bf16"), (report.Device, report.Precision));
        Assert.True(report.MaxRelDiff < Bf16ProbeTolerance, $"max |Δlogit| {report.MaxAbsDiff} of {report.MaxAbsLogit}");
        using (var own = OpenAtItsPlacement(run)) Assert.Equal(ProbeMaxAbsLogit(own), report.MaxAbsLogit);

        // --device cpu: train.dtype auto is fp32 there, so the probe is the sharp fp32 check again.
        var onCpu = Path.Combine(_root, "merged-cpu");
        (code, _, err) = CliRun.Run(MergeVerb.Run, run, "--device", "cpu", "--out", onCpu);
        Assert.True(code == ExitCodes.Ok, err);
        var cpu = ReadReport(onCpu);
        Assert.Equal(("cpu", "fp32"), (cpu.Device, cpu.Precision));
        Assert.True(cpu.MaxRelDiff < MergeTolerance, $"max |Δlogit| {cpu.MaxAbsDiff} of {cpu.MaxAbsLogit}");
        Assert.True(cpu.MaxAbsBaseDiff > 100 * MergeTolerance * cpu.MaxAbsLogit, $"the adapter moved the logits by only {cpu.MaxAbsBaseDiff}");
    }
}
