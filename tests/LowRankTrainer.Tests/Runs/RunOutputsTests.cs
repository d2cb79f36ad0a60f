using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using LowRankTrainer.Config;
using LowRankTrainer.Runs;
using LowRankTrainer.Tests.Training;

namespace LowRankTrainer.Tests.Runs;

/// <summary>What a finished run leaves beside its weights: env.json's provenance and final/README.md, the model card.</summary>
public class RunOutputsTests
{
    [Fact]
    public void EnvJson_RecordsRevisionConfigHashAndResolvedSeeds()
    {
        using var tiny = new TinyRun();
        var config = tiny.Config() with
        {
            Train = tiny.Config().Train with { DataSeed = null },
            Adapter = new AdapterConfig { Method = "lora", R = 2, TargetModules = ["all-linear"], ModulesToSave = ["layers.2"] },
        };
        var result = tiny.Run(config);
        using var env = JsonDocument.Parse(File.ReadAllText(Path.Combine(result.RunDirectory, "env.json")));
        var root = env.RootElement;
        Assert.True(root.TryGetProperty("torch", out _)); // the machine part is EnvironmentReport's, unchanged

        // The hash is of config.yaml's bytes, so `sha256sum config.yaml` tells whether two runs had the same config.
        var expected = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(result.RunDirectory, "config.yaml"))));
        Assert.Equal(expected, root.GetProperty("config_sha256").GetString());

        var seeds = root.GetProperty("seeds");
        Assert.Equal(7, seeds.GetProperty("train.seed").GetInt32());
        Assert.Equal(7, seeds.GetProperty("train.data_seed").GetInt32());      // data_seed defaults to seed
        Assert.Equal(7, seeds.GetProperty("adapter.init_seed").GetInt32());    // so does the adapter's
        Assert.Equal(0, seeds.GetProperty("data.split_seed").GetInt32());

        // The revision is git's own answer for the checkout the test binaries were built in.
        var head = Git("rev-parse --short HEAD");
        var revision = root.GetProperty("git_revision").GetString()!;
        Assert.True(head is null ? revision == "unknown" : revision.StartsWith(head, StringComparison.Ordinal), $"{revision} vs {head}");
    }

    [Fact]
    public void ModelCard_HoldsTheRunsHyperparametersResultsAndFrontMatter()
    {
        using var tiny = new TinyRun();
        var config = tiny.Config() with
        {
            Adapter = new AdapterConfig { Method = "lora", R = 2, TargetModules = ["all-linear"], ModulesToSave = ["layers.2"] },
        };
        var result = tiny.Run(config);
        var card = File.ReadAllText(Path.Combine(result.RunDirectory, "final", ModelCard.FileName));
        var lines = card.Split('\n');

        // Front matter: PEFT's library_name for an adapter, tags with the method, the dataset, the metrics.
        Assert.Equal("---", lines[0]);
        var end = Array.IndexOf(lines, "---", 1);
        var front = lines[1..end];
        Assert.Contains("library_name: peft", front);
        Assert.Equal(["- lowranktrainer", "- lora", "- mlp"], front.SkipWhile(l => l != "tags:").Skip(1).TakeWhile(l => l.StartsWith("- ", StringComparison.Ordinal)));

        // HF Trainer's hyperparameter list, each value the config's.
        Assert.Contains("- learning_rate: 0.01", lines);
        Assert.Contains("- train_batch_size: 16", lines);
        Assert.Contains("- gradient_accumulation_steps: 2", lines);
        Assert.Contains("- total_train_batch_size: 32", lines);
        Assert.Contains("- seed: 7", lines);
        Assert.Contains("- lr_scheduler_warmup_steps: 3", lines);
        Assert.Contains("- training_steps: 20", lines);

        // One results row per evaluation in metrics.jsonl (steps 5, 10, 15, 20), with its step and loss.
        var evals = File.ReadAllLines(Path.Combine(result.RunDirectory, "metrics.jsonl"))
            .Select(l => JsonDocument.Parse(l).RootElement).Where(e => e.TryGetProperty("eval_loss", out _)).ToList();
        var rows = lines.SkipWhile(l => !l.StartsWith("| Training Loss", StringComparison.Ordinal)).Skip(2).TakeWhile(l => l.StartsWith('|')).ToList();
        Assert.Equal(evals.Count, rows.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            var cells = rows[i].Trim('|').Split('|').Select(c => c.Trim()).ToArray();
            Assert.Equal(evals[i].GetProperty("step").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture), cells[2]);
            Assert.Equal(evals[i].GetProperty("eval_loss").GetDouble(), double.Parse(cells[3], System.Globalization.CultureInfo.InvariantCulture), 4);
        }
        Assert.Contains($"- Loss: {result.Summary.EvalLoss!.Value.ToString("F4", System.Globalization.CultureInfo.InvariantCulture)}", lines);
    }

    [Fact]
    public void ModelCard_OfAFullRun_HasNoPeftLibraryName()
    {
        using var tiny = new TinyRun();
        var result = tiny.Run(tiny.Config());
        var card = File.ReadAllText(Path.Combine(result.RunDirectory, "final", ModelCard.FileName));
        Assert.DoesNotContain("library_name: peft", card, StringComparison.Ordinal);
        Assert.Contains("Mlp fine-tuned from a `mlp` initialised from `train.seed` 7", card, StringComparison.Ordinal);
    }

    private static string? Git(string arguments)
    {
        var info = new ProcessStartInfo("git", $"-C \"{AppContext.BaseDirectory}\" {arguments}") { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        return process.ExitCode == 0 ? output : null;
    }
}
