using LowRankTrainer.Cli.Verbs;

namespace LowRankTrainer.Cli.Tests.Verbs;

/// <summary>
/// The shipped resmlp and permuted-pixel recipes end to end, shrunk to a few steps: train a permuted-pixel resmlp,
/// then inspect LoTR on its blocks loaded from that run with a fresh head (model.pretrained + pretrained_skip).
/// </summary>
public sealed class ResMlpVerbTests : IDisposable
{
    private readonly string _output = Path.Combine(Path.GetTempPath(), "lrt-cli-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_output)) Directory.Delete(_output, recursive: true);
    }

    private static string Configs(params string[] parts) => Path.Combine([CliTestPaths.RepositoryRoot(), "configs", .. parts]);

    private static (int Code, string Out, string Err) Run(Func<IReadOnlyList<string>, TextWriter, TextWriter, int> verb, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = verb(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void Train_PermutedResMlp_ThenInspectLotrOnItsBlocks_FromThatRunWithAFreshHead()
    {
        var (code, output, err) = Run(TrainVerb.Run,
            Configs("recipes", "fashion_mnist", "resmlp.yaml"), "model.hidden_sizes=[16]", "model.num_blocks=4",
            "data.transform=permute_pixels", "data.transform_seed=2", "data.max_samples=512", "train.max_steps=4",
            "eval.eval_strategy=no", "checkpoint.save_strategy=no", $"train.output_dir={_output}");
        Assert.True(code == ExitCodes.Ok, err);
        // 784·16+16 + 4·(16·16+16) + 16·5+5 = 12,560 + 1,088 + 85
        Assert.Contains("trainable params: 13,733 || all params: 13,733", output, StringComparison.Ordinal);
        var runDir = output.Split('\n').First(l => l.StartsWith("run folder: ", StringComparison.Ordinal))["run folder: ".Length..].Trim();
        var resolved = File.ReadAllText(Path.Combine(runDir, "config.yaml"));
        Assert.Contains("transform: permute_pixels", resolved, StringComparison.Ordinal);
        Assert.Contains("num_blocks: 4", resolved, StringComparison.Ordinal);

        (code, output, err) = Run(InspectVerb.Run,
            Configs("methods", "lotr.yaml"), "model.name=resmlp", "model.hidden_sizes=[16]", "model.num_blocks=4", "model.num_classes=5",
            "data.classes=[5,6,7,8,9]", $"model.pretrained={runDir}", "model.pretrained_skip=[head]", "adapter.r=2",
            "adapter.exclude_modules=[stem]", "adapter.modules_to_save=[head]");
        Assert.True(code == ExitCodes.Ok, err);
        Assert.Contains("adapter: lotr on 4 layer(s): blocks.0, blocks.1, blocks.2, blocks.3; modules_to_save: head", output, StringComparison.Ordinal);
        // The shared pair is listed once, under the first block; every block has its own core.
        Assert.Contains("blocks.0.lotr_A", output, StringComparison.Ordinal);
        Assert.DoesNotContain("blocks.1.lotr_A", output, StringComparison.Ordinal);
        Assert.Contains("blocks.3.lotr_G", output, StringComparison.Ordinal);
        // One group: r·(16 + 16) + 4·r² = 64 + 16 adapter values, plus the 85 of the head; the base adds 13,733 − 85.
        Assert.Contains("trainable params: 165 || all params: 13,813", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_PermutedPixelsRecipe_AndAnUnknownTransform()
    {
        var recipe = Configs("recipes", "fashion_mnist", "mlp_permuted_pixels.yaml");
        var (code, _, err) = Run(ValidateVerb.Run, recipe);
        Assert.True(code == ExitCodes.Ok, err);
        (code, _, err) = Run(ValidateVerb.Run, recipe, "data.transform=rotate");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("data.transform must be one of none, permute_pixels (got 'rotate')", err, StringComparison.Ordinal);
    }
}
