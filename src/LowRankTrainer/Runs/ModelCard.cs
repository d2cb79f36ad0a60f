using System.Globalization;
using System.Text;
using LowRankTrainer.Config;
using LowRankTrainer.Models;
using LowRankTrainer.Training;

namespace LowRankTrainer.Runs;

/// <summary>
/// The <c>README.md</c> model card written into a run's <c>final/</c>, in the shape Hugging Face's tools write theirs:
/// YAML front matter (<c>library_name: peft</c> and <c>base_model</c> for an adapter, as PEFT's
/// <c>create_or_update_model_card</c> does; <c>tags</c>, <c>datasets</c>, <c>metrics</c>), then HF Trainer's
/// sections — the evaluation results, "Training hyperparameters" (its key names: <c>learning_rate</c>,
/// <c>train_batch_size</c>, <c>total_train_batch_size</c>, <c>lr_scheduler_type</c>, …), a "Training results"
/// table from the log history, and "Framework versions".
/// </summary>
public static class ModelCard
{
    /// <summary>The card's file name inside <c>final/</c>.</summary>
    public const string FileName = "README.md";

    /// <summary>What the card is written from.</summary>
    /// <param name="Config">The resolved experiment.</param>
    /// <param name="RunName">The run's name.</param>
    /// <param name="GlobalStep">Optimizer steps trained.</param>
    /// <param name="TotalSteps">The run's planned length in steps.</param>
    /// <param name="Epoch">Fractional epochs trained.</param>
    /// <param name="Eval">The final evaluation (null when the run has none).</param>
    /// <param name="History">Every logged event, in order (train and eval).</param>
    /// <param name="Parameters">Trainable and total parameter counts.</param>
    /// <param name="AdapterDescription">The adapter's one-line description, or null for a run without one.</param>
    /// <param name="TorchVersion">libtorch's version.</param>
    public sealed record Facts(ExperimentConfig Config, string RunName, long GlobalStep, long TotalSteps, double Epoch, EvalResult? Eval,
                               IReadOnlyList<MetricsEntry> History, ParameterSummary Parameters, string? AdapterDescription, string TorchVersion);

    /// <summary>The card's Markdown.</summary>
    public static string Render(Facts facts)
    {
        ArgumentNullException.ThrowIfNull(facts);
        var c = facts.Config;
        var isAdapter = c.Adapter.Method != "none";
        var text = new StringBuilder();
        text.Append("---\n");
        if (isAdapter) text.Append("library_name: peft\n");
        if (c.Model.Pretrained is { } pretrained) text.Append("base_model: ").Append(Quote(pretrained)).Append('\n');
        text.Append("tags:\n- lowranktrainer\n");
        if (isAdapter) text.Append("- ").Append(c.Adapter.Method).Append('\n');
        text.Append("- ").Append(c.Model.Name).Append('\n');
        text.Append("datasets:\n- ").Append(c.Data.Dataset).Append('\n');
        var metrics = EvalLines(facts.Eval).Select(m => m.Key).ToList();
        if (metrics.Count > 0) text.Append("metrics:\n").Append(string.Concat(metrics.Select(m => $"- {m}\n")));
        text.Append("---\n\n");

        text.Append("# ").Append(facts.RunName).Append("\n\n");
        var baseText = c.Model.Pretrained is { } p ? $"`{p}`" : $"a `{c.Model.Name}` initialised from `train.seed` {c.Train.Seed}";
        text.Append(isAdapter ? $"A {c.Adapter.Method} adapter for {baseText}" : $"{Capitalised(c.Model.Name)} fine-tuned from {baseText}")
            .Append($", trained on the `{c.Data.Dataset}` dataset with LowRankTrainer");
        text.Append(string.Create(CultureInfo.InvariantCulture, $" ({facts.Parameters.Trainable:N0} trainable of {facts.Parameters.Total:N0} parameters).\n"));
        if (facts.AdapterDescription is { } description) text.Append("\n    ").Append(description).Append('\n');
        if (facts.Eval is not null)
        {
            text.Append("\nIt achieves the following results on the evaluation set:\n");
            foreach (var (name, value) in EvalLines(facts.Eval))
            {
                text.Append("- ").Append(Capitalised(name)).Append(": ").Append(value.ToString("F4", CultureInfo.InvariantCulture)).Append('\n');
            }
        }
        if (isAdapter)
        {
            text.Append("\n## How to use\n\nThis folder is in PEFT's layout (`adapter_config.json` + `adapter_model.safetensors`). ")
                .Append("Rebuild the base from the run's `config.yaml` and load it, or merge it into the base with `lrt merge <run folder>`.\n");
        }

        text.Append("\n## Training procedure\n\n### Training hyperparameters\n\nThe following hyperparameters were used during training:\n");
        foreach (var (key, value) in Hyperparameters(facts)) text.Append("- ").Append(key).Append(": ").Append(value).Append('\n');

        var evals = facts.History.Where(e => e.Split == "eval").ToList();
        if (evals.Count > 0)
        {
            text.Append("\n### Training results\n\n| Training Loss | Epoch | Step | Validation Loss | Accuracy |\n|:---:|:---:|:---:|:---:|:---:|\n");
            foreach (var e in evals)
            {
                // HF's table pairs each evaluation with the last training loss logged at or before its step.
                var trainLoss = facts.History.LastOrDefault(t => t.Split == "train" && t.Loss is not null && t.Step <= e.Step)?.Loss;
                text.Append(string.Create(CultureInfo.InvariantCulture,
                    $"| {(trainLoss is { } l ? l.ToString("F4", CultureInfo.InvariantCulture) : "No log")} | {e.Epoch:F4} | {e.Step} | {e.EvalLoss?.ToString("F4", CultureInfo.InvariantCulture) ?? "-"} | {e.EvalAccuracy?.ToString("F4", CultureInfo.InvariantCulture) ?? "-"} |\n"));
            }
        }

        text.Append("\n### Framework versions\n\n")
            .Append("- LowRankTrainer ").Append(typeof(ModelCard).Assembly.GetName().Version?.ToString(3) ?? "0.0.0").Append('\n')
            .Append("- libtorch ").Append(facts.TorchVersion).Append('\n')
            .Append("- ").Append(System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription).Append('\n');
        return text.ToString();
    }

    /// <summary>HF Trainer's hyperparameter list, with this run's values.</summary>
    public static IReadOnlyList<(string Key, string Value)> Hyperparameters(Facts facts)
    {
        ArgumentNullException.ThrowIfNull(facts);
        var t = facts.Config.Train;
        var list = new List<(string, string)>
        {
            ("learning_rate", Number(t.LearningRate)),
            ("train_batch_size", Number(t.PerDeviceTrainBatchSize)),
            ("eval_batch_size", Number(facts.Config.Eval.PerDeviceEvalBatchSize)),
            ("seed", Number(t.Seed)),
        };
        if (t.GradientAccumulationSteps > 1)
        {
            list.Add(("gradient_accumulation_steps", Number(t.GradientAccumulationSteps)));
            list.Add(("total_train_batch_size", Number(t.PerDeviceTrainBatchSize * t.GradientAccumulationSteps)));
        }
        list.Add(("optimizer", t.Optim == "sgd"
            ? string.Create(CultureInfo.InvariantCulture, $"Use sgd with momentum={Number(t.Momentum)} and nesterov={t.Nesterov}")
            : string.Create(CultureInfo.InvariantCulture, $"Use {t.Optim} with betas=({Number(t.AdamBeta1)},{Number(t.AdamBeta2)}) and epsilon={Number(t.AdamEpsilon)}")));
        list.Add(("weight_decay", Number(t.WeightDecay)));
        list.Add(("lr_scheduler_type", t.LrSchedulerType));
        if (t.WarmupSteps > 0) list.Add(("lr_scheduler_warmup_steps", Number(t.WarmupSteps)));
        if (t.WarmupRatio > 0) list.Add(("lr_scheduler_warmup_ratio", Number(t.WarmupRatio)));
        list.Add(t.MaxSteps > 0 ? ("training_steps", Number(facts.TotalSteps)) : ("num_epochs", Number(t.NumTrainEpochs)));
        if (t.MaxGradNorm > 0) list.Add(("max_grad_norm", Number(t.MaxGradNorm)));
        return list;
    }

    private static IEnumerable<(string Key, double Value)> EvalLines(EvalResult? eval)
    {
        if (eval is null) yield break;
        yield return ("loss", eval.Loss);
        if (eval.Accuracy is { } a) yield return ("accuracy", a);
        if (eval.MacroF1 is { } f) yield return ("f1", f);
    }

    // Python's repr of a float, as HF's card prints hyperparameters: 0.005, 1e-08.
    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture).ToLowerInvariant();

    private static string Capitalised(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];

    // A path can hold YAML's special characters; a double-quoted scalar with \ and " escaped reads back verbatim.
    private static string Quote(string s) => "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
