using LowRankTrainer.Cli.Verbs;

namespace LowRankTrainer.Cli.Tests.Verbs;

/// <summary>
/// The train, ls and inspect verbs end to end on the shipped quickstart config, shortened to a few
/// steps on the real Fashion-MNIST files so the whole chain (config → data → model → trainer → run
/// folder → listing → inspection) runs in seconds.
/// </summary>
public sealed class TrainLsInspectVerbTests : IDisposable
{
    private readonly string _output = Path.Combine(Path.GetTempPath(), "lrt-cli-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_output)) Directory.Delete(_output, recursive: true);
    }

    private static string Quickstart() => CliTestPaths.Quickstart();

    private static (int Code, string Out, string Err) Run(CliRun.Entry verb, params string[] args) => CliRun.Run(verb, args);

    private string[] ShortRun(params string[] extra) =>
    [
        Quickstart(), "train.max_steps=6", "logging.logging_steps=2", "eval.eval_strategy=no",
        "checkpoint.save_strategy=steps", "checkpoint.save_steps=3", $"train.output_dir={_output}", .. extra,
    ];

    [Fact]
    public void Train_ShortQuickstart_WritesACompleteRunFolder_ThatLsAndInspectRead()
    {
        var (code, output, err) = Run(TrainVerb.Run, ShortRun());
        Assert.True(code == ExitCodes.Ok, err);
        var runDir = output.Split('\n').First(l => l.StartsWith("run folder: ", StringComparison.Ordinal))["run folder: ".Length..].Trim();
        foreach (var file in new[] { "config.yaml", "env.json", "metrics.jsonl", "metrics.csv", "summary.json" })
        {
            Assert.True(File.Exists(Path.Combine(runDir, file)), $"{file} missing in {runDir}");
        }
        Assert.True(Directory.Exists(Path.Combine(runDir, "checkpoints", "step-000006")));

        var (lsCode, lsOut, _) = Run(LsVerb.Run, "runs", _output);
        Assert.Equal(ExitCodes.Ok, lsCode);
        Assert.Contains("step      6", lsOut, StringComparison.Ordinal);

        var (inspectCode, inspectOut, inspectErr) = Run(InspectVerb.Run, Path.Combine(runDir, "checkpoints", "step-000006"));
        Assert.True(inspectCode == ExitCodes.Ok, inspectErr);
        Assert.Contains("layers.0.weight", inspectOut, StringComparison.Ordinal);
        Assert.Contains("[256, 784]", inspectOut, StringComparison.Ordinal);
    }

    [Fact]
    public void TrainDryRun_PrintsThePeftTrainableLine_AndTrainsNothing()
    {
        var (code, output, err) = Run(TrainVerb.Run, Quickstart(), "--dry-run", $"train.output_dir={_output}");
        Assert.True(code == ExitCodes.Ok, err);
        // 784·256+256 + 256·128+128 + 128·10+10 = 235,146 parameters, all trainable.
        Assert.Contains("trainable params: 235,146 || all params: 235,146 || trainable%: 100.0000", output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_output));
    }

    [Fact]
    public void Train_BadOverride_IsAConfigErrorWithItsPosition()
    {
        var (code, _, err) = Run(TrainVerb.Run, Quickstart(), "train.learning_rat=1e-3");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("<override 1: train.learning_rat=1e-3>", err, StringComparison.Ordinal);
        Assert.Contains("learning_rate", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_UnknownHeadInModulesToSave_ListsTheModelsModules()
    {
        var (code, _, err) = Run(TrainVerb.Run, ShortRun("adapter.modules_to_save=[head]"));
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("'head'", err, StringComparison.Ordinal);
        Assert.Contains("layers.4", err, StringComparison.Ordinal);
    }

    [Fact]
    public void InspectConfig_FrozenBaseWithHead_CountsOnlyTheHeadAsTrainable()
    {
        var (code, output, err) = Run(InspectVerb.Run, Quickstart(), "adapter.modules_to_save=[layers.4]");
        Assert.True(code == ExitCodes.Ok, err);
        // The head is Linear(128, 10): 1,290 of 235,146 parameters.
        Assert.Contains("trainable params: 1,290 || all params: 235,146 || trainable%: 0.5486", output, StringComparison.Ordinal);
    }

    [Fact]
    public void InspectConfig_SvFit_ReportsEachLayersChosenRank()
    {
        var svfit = Path.Combine(Path.GetDirectoryName(Quickstart())!, "methods", "svfit.yaml");
        var (code, output, err) = Run(InspectVerb.Run, svfit, "adapter.r=3", "adapter.rank_pattern={layers.2: 5}");
        Assert.True(code == ExitCodes.Ok, err);
        Assert.Contains("adapter: svfit on 2 layer(s): layers.0 (r=3), layers.2 (r=5)", output, StringComparison.Ordinal);
    }

    private static string LoraConfig() => Path.Combine(Path.GetDirectoryName(Quickstart())!, "methods", "lora.yaml");

    [Fact]
    public void InspectConfig_Lora_InjectsTheAdapter_AndCountsOnlyAdapterAndHead()
    {
        var (code, output, err) = Run(InspectVerb.Run, LoraConfig());
        Assert.True(code == ExitCodes.Ok, err);
        Assert.Contains("adapter: lora on 2 layer(s): layers.0 (r=8), layers.2 (r=8); modules_to_save: layers.4", output, StringComparison.Ordinal);
        Assert.Contains("layers.0.lora_A.weight", output, StringComparison.Ordinal);
        Assert.Contains("layers.0.base_layer.weight", output, StringComparison.Ordinal);
        // r=8: 8·(784+256) + 8·(256+128) = 11,392 adapter + 1,290 head = 12,682; the base adds 235,146 − 1,290.
        Assert.Contains("trainable params: 12,682 || all params: 246,538 || trainable%: 5.1440", output, StringComparison.Ordinal);
    }

    [Fact]
    public void TrainDryRun_Lora_ShowsTheAdaptedModel()
    {
        var (code, output, err) = Run(TrainVerb.Run, LoraConfig(), "--dry-run", $"train.output_dir={_output}");
        Assert.True(code == ExitCodes.Ok, err);
        Assert.Contains("layers.2.lora_B.weight", output, StringComparison.Ordinal);
        Assert.Contains("trainable params: 12,682 || all params: 246,538", output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_output));
    }

    [Fact]
    public void Train_Lora_WritesPeftAdapters_ThatInspectDescribes()
    {
        var (code, output, err) = Run(TrainVerb.Run,
        [
            LoraConfig(), "train.max_steps=4", "logging.logging_steps=2", "eval.eval_strategy=no",
            "checkpoint.save_strategy=steps", "checkpoint.save_steps=2", $"train.output_dir={_output}",
        ]);
        Assert.True(code == ExitCodes.Ok, err);
        Assert.Contains("trainable params: 12,682 || all params: 246,538", output, StringComparison.Ordinal);
        var runDir = output.Split('\n').First(l => l.StartsWith("run folder: ", StringComparison.Ordinal))["run folder: ".Length..].Trim();
        foreach (var folder in new[] { Path.Combine(runDir, "final"), Path.Combine(runDir, "checkpoints", "step-000004") })
        {
            Assert.True(File.Exists(Path.Combine(folder, "adapter_config.json")), folder);
            Assert.False(File.Exists(Path.Combine(folder, "model.safetensors")), folder);
            var (inspectCode, inspectOut, inspectErr) = Run(InspectVerb.Run, folder);
            Assert.True(inspectCode == ExitCodes.Ok, inspectErr);
            Assert.Contains("base_model.model.layers.0.lora_A.weight", inspectOut, StringComparison.Ordinal);
            Assert.Contains("[8, 784]", inspectOut, StringComparison.Ordinal);
            Assert.Contains("adapter: lora (peft_type LORA)", inspectOut, StringComparison.Ordinal);
            Assert.Contains("r: 8", inspectOut, StringComparison.Ordinal);
            Assert.Contains("lora_alpha: 16", inspectOut, StringComparison.Ordinal);
            Assert.Contains("target_modules: [\"all-linear\"]", inspectOut, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Train_LoraTargetMatchingNothing_IsAConfigError_ListingTheModules()
    {
        var (code, _, err) = Run(TrainVerb.Run, LoraConfig(), "adapter.target_modules=[q_proj]", $"train.output_dir={_output}");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("matched no Linear layer", err, StringComparison.Ordinal);
        Assert.Contains("layers.4 (Linear)", err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_output));
    }

    [Fact]
    public void LsConfigs_ListsTheQuickstartWithItsDescription()
    {
        var (code, output, _) = Run(LsVerb.Run);
        Assert.Equal(ExitCodes.Ok, code);
        Assert.Contains("configs/quickstart.yaml", output, StringComparison.Ordinal);
        Assert.Contains("Fashion-MNIST quickstart", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Inspect_MissingCheckpoint_IsAUsageError()
    {
        var (code, _, err) = Run(InspectVerb.Run, Path.Combine(_output, "nope.safetensors"));
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("no such file", err, StringComparison.Ordinal);
    }
}
