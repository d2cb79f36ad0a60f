using LowRankTrainer.Config;

namespace LowRankTrainer.Tests.Config;

/// <summary>The embedding loss types (mnrl, matryoshka, matryoshka_2d, starbucks) and their subsections: parsing, writing, errors.</summary>
public sealed class EmbeddingLossConfigTests : IDisposable
{
    private const string TwoD = """
        model:
          name: mlp
          hidden_sizes: [64, 64, 64]
        loss:
          type: matryoshka_2d
          scale: 10
          matryoshka:
            dims: [64, 8, 16]
          matryoshka_2d:
            n_layers_per_step: 2
            n_dims_per_step: -1
            last_layer_weight: 1.5
            prior_layers_weight: 0.5
            kl_div_weight: 2
            kl_temperature: 0.5
        """;

    private const string Starbucks = """
        model:
          name: mlp
          hidden_sizes: [128, 64, 64]
        loss:
          type: starbucks
          starbucks:
            layers: [1, 1, 3]
            dims: [8, 16, 64]
            weights: [1, 1, 2]
            kl_temperature: 0
        """;

    private readonly ConfigTestFiles _files = new();

    public void Dispose() => _files.Dispose();

    private static IReadOnlyList<ConfigDiagnostic> Errors(string path, params string[] overrides)
    {
        var result = ConfigLoader.Load(path, overrides);
        Assert.Null(result.Config);
        return result.Diagnostics;
    }

    [Fact]
    public void Matryoshka2dKeys_AreRead_WrittenNested_AndLoadBack()
    {
        var config = ConfigTestFiles.Valid(_files.Write("a.yaml", TwoD));
        Assert.Equal("matryoshka_2d", config.Loss.Type);
        Assert.Equal(10.0, config.Loss.Scale);
        Assert.Equal(new Matryoshka2dConfig { NLayersPerStep = 2, NDimsPerStep = -1, LastLayerWeight = 1.5, PriorLayersWeight = 0.5, KlDivWeight = 2, KlTemperature = 0.5 },
                     config.Loss.Matryoshka2d);
        var text = ConfigWriter.Write(config);
        Assert.Contains("  matryoshka_2d:\n    n_layers_per_step: 2\n    n_dims_per_step: -1\n    last_layer_weight: 1.5\n    prior_layers_weight: 0.5\n" +
                        "    kl_div_weight: 2.0\n    kl_temperature: 0.5\n", text, StringComparison.Ordinal);
        var back = ConfigTestFiles.Valid(_files.Write("resolved.yaml", text));
        Assert.Equal(text, ConfigWriter.Write(back));
        Assert.Equal(config.Loss.Matryoshka2d, back.Loss.Matryoshka2d);
    }

    [Fact]
    public void StarbucksPairs_AreTwoParallelLists_AndRoundTrip()
    {
        var config = ConfigTestFiles.Valid(_files.Write("a.yaml", Starbucks));
        Assert.Equal([1, 1, 3], config.Loss.Starbucks.Layers);
        Assert.Equal([8, 16, 64], config.Loss.Starbucks.Dims);
        Assert.Equal([1.0, 1.0, 2.0], config.Loss.Starbucks.Weights);
        Assert.Equal(0.0, config.Loss.Starbucks.KlTemperature);
        var text = ConfigWriter.Write(config);
        Assert.Contains("  starbucks:\n    layers: [1, 1, 3]\n    dims: [8, 16, 64]\n    weights: [1.0, 1.0, 2.0]\n    kl_div_weight: 1.0\n    kl_temperature: 0.0\n", text, StringComparison.Ordinal);
        Assert.Equal(text, ConfigWriter.Write(ConfigTestFiles.Valid(_files.Write("resolved.yaml", text))));
    }

    [Theory]
    [InlineData("mnrl")]
    [InlineData("matryoshka")]
    public void PlainAndMatryoshkaTypes_Validate(string type)
    {
        var dims = type == "matryoshka" ? "  matryoshka:\n    dims: [4, 16, 32]\n    dims_per_step: 2\n" : "";
        var config = ConfigTestFiles.Valid(_files.Write("a.yaml", $"model:\n  name: mlp\n  hidden_sizes: [64, 32]\nloss:\n  type: {type}\n{dims}"));
        Assert.True(config.Loss.IsEmbedding);
    }

    [Theory]
    [InlineData("loss.matryoshka.dims=[64,8,128]", "loss.matryoshka.dims[2] is 128, wider than hidden layer 1 (64 units), which loss.type matryoshka_2d may sample")]
    [InlineData("model.hidden_sizes=[64,64,32]", "loss.matryoshka_2d.kl_temperature 0.5 > 0 compares every layer with the last one, which needs equal hidden widths")]
    [InlineData("loss.matryoshka_2d.n_layers_per_step=3", "loss.matryoshka_2d.n_layers_per_step must be -1 (all earlier layers) or in [1, 2] (model.hidden_sizes has 3 layers) (got 3)")]
    [InlineData("loss.matryoshka_2d.n_dims_per_step=4", "loss.matryoshka_2d.n_dims_per_step must be -1 (all dims) or in [1, 3] (got 4)")]
    [InlineData("loss.matryoshka_2d.kl_temperature=-1", "loss.matryoshka_2d.kl_temperature must be >= 0 (0: no KL term) (got -1)")]
    [InlineData("loss.matryoshka.dims_per_step=1", "loss.matryoshka.dims_per_step applies to loss.type mrl, matryoshka, but loss.type is matryoshka_2d")]
    [InlineData("loss.matryoshka.dims=[]", "loss.type matryoshka_2d needs loss.matryoshka.dims")]
    [InlineData("loss.scale=0", "loss.scale must be > 0 (got 0)")]
    [InlineData("data.dataset=csv", "loss.type matryoshka_2d trains on (anchor, positive) pairs: two augmented views of each image (data.dataset fashion_mnist, model.name mlp) or two spans of one document (data.dataset brown_pairs, model.name bert, gpt2, llama, roberta); got data.dataset csv")]
    [InlineData("model.name=lenet5", "loss.type matryoshka_2d needs model.name mlp")]
    [InlineData("model.hidden_sizes=[64]", "loss.type matryoshka_2d needs at least two hidden layers")]
    [InlineData("loss.label_smoothing=0.1", "loss.label_smoothing does not apply to loss.type matryoshka_2d")]
    [InlineData("adapter.method=lora", "adapters and modules_to_save are not supported with it")]
    [InlineData("loss.starbucks.kl_temperature=0", "loss.starbucks.kl_temperature applies to loss.type starbucks, but loss.type is matryoshka_2d")]
    public void BadMatryoshka2dSettings_NameTheKey(string overrideToken, string message)
    {
        var errors = Errors(_files.Write("a.yaml", TwoD), overrideToken);
        Assert.Contains(errors, d => d.Message.Contains(message, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("loss.starbucks.dims=[8,16]", "loss.starbucks.dims has 2 entries but loss.starbucks.layers has 3")]
    [InlineData("loss.starbucks.layers=[1,1,4]", "loss.starbucks.layers[2] is 4, outside [1, 3]: layers are 1-based and model.hidden_sizes has 3")]
    [InlineData("loss.starbucks.layers=[0,1,3]", "loss.starbucks.layers[0] is 0, outside [1, 3]")]
    [InlineData("loss.starbucks.dims=[8,16,128]", "loss.starbucks.dims[2] is 128, wider than hidden layer 3 (64 units")]
    [InlineData("loss.starbucks.dims=[8,8,64]", "loss.starbucks pair 1 (layer 1, dim 8) is listed twice")]
    [InlineData("loss.starbucks.weights=[1,2]", "loss.starbucks.weights has 2 entries for 3 pairs")]
    [InlineData("loss.starbucks.kl_temperature=0.3", "loss.starbucks.kl_temperature 0.3 > 0 compares every layer with the last one, which needs equal hidden widths")]
    [InlineData("loss.matryoshka_2d.n_layers_per_step=2", "loss.matryoshka_2d.n_layers_per_step applies to loss.type matryoshka_2d, but loss.type is starbucks")]
    [InlineData("loss.matryoshka.dims=[8]", "loss.matryoshka.dims applies to loss.type mrl, matryoshka, matryoshka_2d, but loss.type is starbucks")]
    public void BadStarbucksSettings_NameTheKey(string overrideToken, string message)
    {
        var errors = Errors(_files.Write("a.yaml", Starbucks), overrideToken);
        Assert.Contains(errors, d => d.Message.Contains(message, StringComparison.Ordinal));
    }

    [Fact]
    public void StarbucksWithoutPairs_IsMissing()
    {
        var d = ConfigTestFiles.SingleError(_files.Write("a.yaml", "model:\n  hidden_sizes: [32, 32]\nloss:\n  type: starbucks\n"));
        Assert.Equal(ConfigErrorCodes.Missing, d.Code);
        Assert.StartsWith("loss.type starbucks needs loss.starbucks.layers and loss.starbucks.dims", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SubsectionKeys_OnAnotherType_AreConflictsAtTheKey()
    {
        var d = ConfigTestFiles.SingleError(_files.Write("a.yaml", "loss:\n  matryoshka_2d:\n    kl_temperature: 0.1\n"));
        Assert.Equal(ConfigErrorCodes.Conflict, d.Code);
        Assert.Equal((3, 5), (d.Location.Line, d.Location.Column));
        Assert.StartsWith("loss.matryoshka_2d.kl_temperature applies to loss.type matryoshka_2d, but loss.type is standard", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MisspelledKeys_SuggestTheRealNames()
    {
        var twoD = ConfigTestFiles.SingleError(_files.Write("a.yaml", "loss:\n  matryoshka_2d:\n    n_layer_per_step: 2\n"));
        Assert.Equal("unknown key 'loss.matryoshka_2d.n_layer_per_step' (did you mean 'loss.matryoshka_2d.n_layers_per_step'?)", twoD.Message);
        var type = ConfigTestFiles.SingleError(_files.Write("b.yaml", "loss:\n  type: starbuck\n"));
        Assert.Contains("did you mean 'starbucks'?", type.Message, StringComparison.Ordinal);
    }
}
