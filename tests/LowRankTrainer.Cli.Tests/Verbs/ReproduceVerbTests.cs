using System.Text.Json;
using System.Xml.Linq;
using LowRankTrainer.Cli.Verbs;
using LowRankTrainer.Experiments;

namespace LowRankTrainer.Cli.Tests.Verbs;

/// <summary>
/// <c>lrt reproduce</c> end to end on a scratch experiment (a pretrained MLP, then LoRA on it over two seeds, a few
/// steps each on the real Fashion-MNIST files): runs, results, reuse, the checkpoint dependency, the report.
/// </summary>
public sealed class ReproduceVerbTests : IDisposable
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";
    private readonly string _root = Path.Combine(Path.GetTempPath(), "lrt-reproduce-" + Guid.NewGuid().ToString("N"));
    private readonly string _experiment;

    public ReproduceVerbTests()
    {
        _experiment = Path.Combine(_root, "experiments", "tiny-exp");
        Directory.CreateDirectory(Path.Combine(_experiment, "configs"));
        var defaults = Path.Combine(CliTestPaths.RepositoryRoot(), "configs", "defaults", "train.yaml");
        File.WriteAllText(Path.Combine(_experiment, "configs", "base.yaml"), $"base: {defaults}\n" + """
            name: tiny
            model: {name: mlp, hidden_sizes: [16], dropout: 0.0}
            data: {max_samples: 256}
            train: {max_steps: 3, per_device_train_batch_size: 32, num_threads: 1}
            eval: {eval_strategy: epoch, per_device_eval_batch_size: 1000}
            checkpoint: {save_strategy: "no"}
            logging: {logging_steps: 1, logging_first_step: true}
            """);
        File.WriteAllText(Path.Combine(_experiment, "configs", "lora.yaml"), """
            base: base.yaml
            adapter: {method: lora, r: 2, lora_alpha: 2, target_modules: [layers.0], modules_to_save: [layers.2]}
            """);
        File.WriteAllText(Path.Combine(_experiment, ExperimentManifest.FileName), """
            title: Tiny
            paper: Nobody 2026
            names: {lora: LoRA}
            groups:
              - name: pretrain
                config: configs/base.yaml
              - name: lora
                config: configs/lora.yaml
                inputs: {model.pretrained: pretrain}
                grid: {train.seed: [1, 2]}
            tables:
              - name: acc
                title: Accuracy
                rows: [group]
                columns:
                  - {metric: num_trainable_params, label: params, digits: 0, aggregate: first}
                  - {metric: eval_accuracy, label: acc %, scale: 100, digits: 2}
                  - {metric: first_train_loss, label: first loss, digits: 3}
            plots:
              - name: acc_vs_seed
                groups: [lora]
                x: train.seed
                y: eval_accuracy
                series: [group]
                references: [{label: pretrained, groups: [pretrain]}]
            """);
        File.WriteAllText(Path.Combine(_experiment, ExperimentManifest.ReportedFileName), "table,row,column,reported,source\nacc,LoRA,acc %,99.0,Table 9\n");
        File.WriteAllText(Path.Combine(_experiment, "README.md"), "# Tiny\n\nintro\n\n<!-- lrt:results -->\nold\n<!-- /lrt:results -->\n\nverdict\n");
    }

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private static (int Code, string Out, string Err) Run(params string[] args) => CliRun.Run(ReproduceVerb.Run, args);

    [Fact]
    public void Reproduce_TrainsEveryRun_WritesResultsAndReport_ThenReusesThem()
    {
        var (code, output, err) = Run(_experiment);
        Assert.True(code == ExitCodes.Ok, err + output);
        Assert.Contains("3 run(s) trained, 0 reused, 0 failed", output, StringComparison.Ordinal);
        foreach (var run in new[] { "pretrain/base", "lora/train.seed-1", "lora/train.seed-2" })
        {
            var folder = Path.Combine(_experiment, "results", run);
            Assert.True(File.Exists(Path.Combine(folder, "summary.json")), run);
            Assert.True(File.Exists(Path.Combine(folder, "config.yaml")), run);
            using var provenance = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, ExperimentRunner.ProvenanceFile)));
            Assert.Equal("lrt reproduce tiny-exp", provenance.RootElement.GetProperty("command").GetString());
            Assert.False(string.IsNullOrEmpty(provenance.RootElement.GetProperty("revision").GetString()));
        }
        // The LoRA runs started from the pretrain run's checkpoint.
        var loraConfig = File.ReadAllText(Path.Combine(_experiment, "results", "lora", "train.seed-1", "config.yaml"));
        Assert.Contains(Path.Combine("pretrain", "base"), loraConfig, StringComparison.Ordinal);

        var results = File.ReadAllText(Path.Combine(_experiment, "results.md"));
        Assert.Contains("| pretrain | 1 |", results, StringComparison.Ordinal);
        Assert.Contains("| LoRA | 2 |", results, StringComparison.Ordinal);
        Assert.Contains("| acc | LoRA | acc % | 99.0 |", results, StringComparison.Ordinal);
        Assert.Contains("(plots/acc_vs_seed.svg)", results, StringComparison.Ordinal);
        var svg = XDocument.Load(Path.Combine(_experiment, "plots", "acc_vs_seed.svg"));
        var series = svg.Root!.Elements(Svg + "g").Where(g => (string?)g.Attribute("class") == "series").ToList();
        Assert.Equal("LoRA", (string)Assert.Single(series).Attribute("data-name")!);
        Assert.Equal(2, series[0].Elements(Svg + "circle").Count());
        var readme = File.ReadAllText(Path.Combine(_experiment, "README.md"));
        Assert.DoesNotContain("\nold\n", readme, StringComparison.Ordinal);
        Assert.Contains("| acc | LoRA | acc % | 99.0 |", readme, StringComparison.Ordinal);
        Assert.EndsWith("<!-- /lrt:results -->\n\nverdict\n", readme, StringComparison.Ordinal);

        var again = Run(_experiment);
        Assert.True(again.Code == ExitCodes.Ok, again.Err);
        Assert.Contains("0 run(s) trained, 3 reused, 0 failed", again.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Reproduce_AMissingRunWhoseInputHasOnlyResults_RetrainsTheInputFirst()
    {
        Assert.Equal(ExitCodes.Ok, Run(_experiment).Code);
        Directory.Delete(Path.Combine(_root, "runs"), recursive: true);     // a fresh clone: results, no run folders
        Directory.Delete(Path.Combine(_experiment, "results", "lora", "train.seed-2"), recursive: true);
        var (code, output, err) = Run(_experiment);
        Assert.True(code == ExitCodes.Ok, err + output);
        Assert.Contains("pretrain/base has results but no run folder here; training it again", output, StringComparison.Ordinal);
        Assert.Contains("2 run(s) trained, 2 reused, 0 failed", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Reproduce_Quick_WritesEverythingUnderOut_AndLeavesTheExperimentAlone()
    {
        var output = Path.Combine(_root, "quick");
        var (code, stdout, err) = Run(_experiment, "--quick", "--out", output);
        Assert.True(code == ExitCodes.Ok, err + stdout);
        Assert.True(File.Exists(Path.Combine(output, "results.md")));
        Assert.True(File.Exists(Path.Combine(output, "results", "lora", "train.seed-2", "summary.json")));
        Assert.False(Directory.Exists(Path.Combine(_experiment, "results")));
        Assert.Contains("\nold\n", File.ReadAllText(Path.Combine(_experiment, "README.md")), StringComparison.Ordinal);
    }

    [Fact]
    public void Reproduce_DryRun_ListsRunsAndTheirState()
    {
        var (code, output, _) = Run(_experiment, "--dry-run");
        Assert.Equal(ExitCodes.Ok, code);
        Assert.Contains("tiny-exp: 3 run(s)", output, StringComparison.Ordinal);
        Assert.Contains("missing lora/train.seed-2", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Reproduce_BadManifestOrUnknownExperiment_ExitsWithUsage_NamingTheProblem()
    {
        File.AppendAllText(Path.Combine(_experiment, ExperimentManifest.FileName), "\nplotz: []\n");
        var (code, _, err) = Run(_experiment);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("unknown key 'plotz' in the manifest (did you mean 'plots'?)", err, StringComparison.Ordinal);
        var missing = Run("no-such-experiment-anywhere");
        Assert.Equal(ExitCodes.Usage, missing.Code);
        Assert.Contains("no experiment 'no-such-experiment-anywhere'", missing.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void Reproduce_AConfigThatDoesNotValidate_FailsBeforeAnyRun()
    {
        File.AppendAllText(Path.Combine(_experiment, "configs", "lora.yaml"), "\ntrain: {learning_rate: -1}\n");
        var (code, output, err) = Run(_experiment);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("lora/train.seed-1", err, StringComparison.Ordinal);
        Assert.Contains("train.learning_rate", err, StringComparison.Ordinal);
        Assert.DoesNotContain("run 1/3", output, StringComparison.Ordinal);
    }
}
