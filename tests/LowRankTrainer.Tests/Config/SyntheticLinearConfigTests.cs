using LowRankTrainer.Config;

namespace LowRankTrainer.Tests.Config;

/// <summary>
/// The synthetic_linear keys (<c>data.synthetic_dim</c>, <c>synthetic_target</c>, <c>synthetic_seed</c>) and the linear
/// model's (<c>model.bias</c>, <c>model.init</c>): binding, defaults, the writer's round trip, and the validator's errors.
/// </summary>
public sealed class SyntheticLinearConfigTests : IDisposable
{
    private const string Task = "model:\n  name: linear\nloss:\n  name: mse\ndata:\n  dataset: synthetic_linear\n";
    private readonly ConfigTestFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void AllKeys_AreBound_AndRoundTripThroughTheWriter()
    {
        var path = _files.Write("a.yaml", """
            model:
              name: linear
              bias: false
              init: zeros
            loss:
              name: mse
            data:
              dataset: synthetic_linear
              synthetic_dim: 48
              synthetic_target: orthogonal
              synthetic_seed: 9
            """);
        var config = ConfigTestFiles.Valid(path);
        Assert.Equal(("linear", false, "zeros"), (config.Model.Name, config.Model.Bias, config.Model.Init));
        Assert.Equal(("synthetic_linear", 48, "orthogonal", 9), (config.Data.Dataset, config.Data.SyntheticDim, config.Data.SyntheticTarget, config.Data.SyntheticSeed));
        var text = ConfigWriter.Write(config);
        Assert.Contains("  bias: false\n  init: zeros\n", text, StringComparison.Ordinal);
        Assert.Contains("  synthetic_dim: 48\n  synthetic_target: orthogonal\n  synthetic_seed: 9\n", text, StringComparison.Ordinal);
        Assert.Equal(text, ConfigWriter.Write(ConfigTestFiles.Valid(_files.Write("b.yaml", text))));
    }

    [Fact]
    public void Defaults()
    {
        var d = new DataConfig();
        Assert.Equal((256, "gaussian", 0), (d.SyntheticDim, d.SyntheticTarget, d.SyntheticSeed));
        var m = new ModelConfig();
        Assert.Equal((true, "default"), (m.Bias, m.Init));
    }

    [Theory]
    [InlineData("linear")]
    [InlineData("mlp")]
    public void TheTask_TakesTheLinearModelOrTheMlp(string model)
    {
        var config = ConfigTestFiles.Valid(_files.Write("a.yaml", Task), $"model.name={model}");
        Assert.Equal(model, config.Model.Name);
    }

    [Theory]
    [InlineData("loss.name=cross_entropy", "loss.name", ConfigErrorCodes.Conflict, "data.dataset synthetic_linear regresses the vectors y = T x: it needs loss.name mse, not cross_entropy")]
    [InlineData("data.synthetic_dim=0", "data.synthetic_dim", ConfigErrorCodes.OutOfRange, "data.synthetic_dim must be >= 1 (got 0)")]
    [InlineData("data.synthetic_target=orthogonl", "data.synthetic_target", ConfigErrorCodes.InvalidChoice, "data.synthetic_target must be one of gaussian, orthogonal (got 'orthogonl'; did you mean 'orthogonal'?)")]
    [InlineData("model.num_classes=5", "model.num_classes", ConfigErrorCodes.Conflict, "data.dataset synthetic_linear has 256 outputs (data.synthetic_dim), but model.num_classes is 5; leave it out")]
    [InlineData("data.path=x.csv", "data.path", ConfigErrorCodes.Conflict, "data.dataset synthetic_linear is generated (data.synthetic_dim, synthetic_target, synthetic_seed); remove data.path")]
    [InlineData("data.eval_path=x.csv", "data.eval_path", ConfigErrorCodes.Conflict, "data.dataset synthetic_linear evaluates on its own d basis inputs; remove data.eval_path")]
    [InlineData("model.init=ones", "model.init", ConfigErrorCodes.InvalidChoice, "model.init must be one of default, zeros (got 'ones')")]
    [InlineData("model.dropout=0.1", "model.dropout", ConfigErrorCodes.Conflict, "model.name linear has no hidden layers to drop out; remove model.dropout")]
    public void BadSyntheticSettings_GiveOneClearError(string setting, string key, string code, string message)
    {
        var d = ConfigTestFiles.SingleError(_files.Write("a.yaml", Task), setting);
        Assert.Equal(code, d.Code);
        Assert.StartsWith(message, d.Message, StringComparison.Ordinal);
        Assert.Equal(setting, d.Location.OverrideText);   // reported at the override that set the key
        Assert.StartsWith(key + "=", setting, StringComparison.Ordinal);
    }

    [Fact]
    public void AnImageModel_IsRefused_NamingTheTwoThatFit()
    {
        var result = ConfigLoader.Load(_files.Write("a.yaml", Task), ["model.name=lenet5"]);
        Assert.Null(result.Config);
        Assert.Contains(result.Diagnostics, d => d.Code == ConfigErrorCodes.Conflict
            && d.Message.StartsWith("data.dataset synthetic_linear needs model.name linear or mlp (d inputs, d outputs), not lenet5", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("data.synthetic_dim=64", "data.synthetic_dim applies to synthetic_linear datasets only, but data.dataset is fashion_mnist")]
    [InlineData("data.synthetic_target=orthogonal", "data.synthetic_target applies to synthetic_linear datasets only, but data.dataset is fashion_mnist")]
    [InlineData("data.synthetic_seed=3", "data.synthetic_seed applies to synthetic_linear datasets only, but data.dataset is fashion_mnist")]
    [InlineData("model.bias=false", "model.bias applies to model.name linear only, not mlp")]
    [InlineData("model.init=zeros", "model.init applies to model.name linear only, not mlp")]
    public void KeysOfTheTaskOrTheLinearModel_SetElsewhere_AreConflicts(string setting, string message)
    {
        var d = ConfigTestFiles.SingleError(_files.Write("a.yaml", "model:\n  name: mlp\n"), setting);
        Assert.Equal(ConfigErrorCodes.Conflict, d.Code);
        Assert.Equal(message, d.Message);
    }

    [Fact]
    public void TheShippedRecipes_AreTheTaskWithLoraAndRandLora()
    {
        var dir = Path.Combine(ConfigTestFiles.RepoRoot(), "configs", "recipes", "synthetic_linear");
        var rand = ConfigTestFiles.Valid(Path.Combine(dir, "randlora.yaml"));
        Assert.Equal(("linear", false, "zeros", "mse"), (rand.Model.Name, rand.Model.Bias, rand.Model.Init, rand.Loss.Name));
        Assert.Equal(("synthetic_linear", 256, "orthogonal"), (rand.Data.Dataset, rand.Data.SyntheticDim, rand.Data.SyntheticTarget));
        Assert.Equal(("randlora", 32, 32.0, "peft"), (rand.Adapter.Method, rand.Adapter.R, rand.Adapter.RandloraAlpha, rand.Adapter.RandloraScaling));
        Assert.Equal((256, 0.0, 0.0, "constant"), (rand.Train.PerDeviceTrainBatchSize, rand.Train.WeightDecay, rand.Train.MaxGradNorm, rand.Train.LrSchedulerType));
        var lora = ConfigTestFiles.Valid(Path.Combine(dir, "lora.yaml"));
        Assert.Equal(("lora", 4, 4.0), (lora.Adapter.Method, lora.Adapter.R, lora.Adapter.LoraAlpha));
        Assert.Equal(rand.Data with { FeatureColumns = [], Classes = [], LabelNames = [] }, lora.Data with { FeatureColumns = [], Classes = [], LabelNames = [] });
        Assert.Equal(rand.Train, lora.Train);
    }
}
