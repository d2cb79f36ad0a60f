using LowRankTrainer.Config;

namespace LowRankTrainer.Tests.Config;

/// <summary>
/// <c>data.dataset: brown_pairs</c> with the embedding losses on a transformer: binding, <c>data.max_eval_samples</c>,
/// and the validator's errors for every mismatch of dataset, loss and model (checked against the model's
/// config.json where it can be read).
/// </summary>
public sealed class TextPairConfigTests : IDisposable
{
    private readonly ConfigTestFiles _files = new();

    public TextPairConfigTests()
    {
        // 4 layers of width 64, as the example recipe's.
        _files.Write("bert.json", """{"model_type": "bert", "vocab_size": 8192, "hidden_size": 64, "num_hidden_layers": 4, "num_attention_heads": 4, "intermediate_size": 128}""");
    }

    public void Dispose() => _files.Dispose();

    private string Yaml(string loss) => $"""
        model:
          name: bert
          hf_config: {Path.Combine(_files.Root, "bert.json")}
        data:
          dataset: brown_pairs
          tokenizer: tok.json
          pad_token_id: 8191
          max_length: 32
          max_eval_samples: 500
        loss:
        {loss}
        """;

    private const string TwoD = "  type: matryoshka_2d\n  matryoshka:\n    dims: [8, 16, 32, 64]";

    private const string Starbucks = "  type: starbucks\n  starbucks:\n    layers: [1, 2, 3, 4]\n    dims: [8, 16, 32, 64]";

    [Fact]
    public void BrownPairsWithBertAndMatryoshka2d_Validates_AndRoundTrips()
    {
        var config = ConfigTestFiles.Valid(_files.Write("a.yaml", Yaml(TwoD)));
        Assert.Equal(("brown_pairs", 32, 500, 8191), (config.Data.Dataset, config.Data.MaxLength, config.Data.MaxEvalSamples, config.Data.PadTokenId));
        var text = ConfigWriter.Write(config);
        Assert.Contains("  max_eval_samples: 500\n", text, StringComparison.Ordinal);
        Assert.Equal(text, ConfigWriter.Write(ConfigTestFiles.Valid(_files.Write("resolved.yaml", text))));
        ConfigTestFiles.Valid(_files.Write("b.yaml", Yaml(Starbucks)));
        ConfigTestFiles.Valid(_files.Write("c.yaml", Yaml("  type: mnrl")));
    }

    [Fact]
    public void MaxEvalSamples_DefaultsToNull_AndMustBePositive()
    {
        Assert.Null(new DataConfig().MaxEvalSamples);
        var d = ConfigTestFiles.SingleError(_files.Write("a.yaml", "data:\n  max_eval_samples: 0\n"));
        Assert.Equal(ConfigErrorCodes.OutOfRange, d.Code);
        Assert.Equal("data.max_eval_samples must be null or >= 1 (got 0)", d.Message);
        Assert.Equal((2, 3), (d.Location.Line, d.Location.Column));
    }

    [Theory]
    // The width and depth come from model.hf_config (4 layers of 64).
    [InlineData(TwoD, "loss.matryoshka.dims=[8,16,128]", "loss.matryoshka.dims[2] is 128, wider than hidden layer 1 (64 units), which loss.type matryoshka_2d may sample: model.hf_config (")]
    [InlineData(TwoD, "loss.matryoshka_2d.n_layers_per_step=4", "loss.matryoshka_2d.n_layers_per_step must be -1 (all earlier layers) or in [1, 3] (model.hf_config has 4 layers) (got 4)")]
    [InlineData(Starbucks, "loss.starbucks.layers=[1,2,3,5]", "loss.starbucks.layers[3] is 5, outside [1, 4]: layers are 1-based and model.hf_config has 4")]
    [InlineData(Starbucks, "loss.starbucks.dims=[8,16,32,96]", "loss.starbucks.dims[3] is 96, wider than hidden layer 4 (64 units; model.hf_config (")]
    // The pairing: text pairs need a transformer, a transformer's embedding loss needs text pairs, pairs need an embedding loss.
    [InlineData(TwoD, "model.name=mlp", "loss.type matryoshka_2d on data.dataset brown_pairs embeds texts with a transformer (mean-pooled hidden states per layer): model.name must be one of bert, gpt2, llama, roberta (got mlp")]
    [InlineData("  type: standard", "", "data.dataset brown_pairs gives pairs of texts without labels")]
    [InlineData(TwoD, "model.task=causal_lm", "model.task causal_lm needs language-model data (data.dataset text_lm or brown), not brown_pairs")]
    [InlineData(TwoD, "data.block_size=64", "data.block_size applies to text_lm/brown datasets only, but data.dataset is brown_pairs")]
    [InlineData(TwoD, "data.eval_path=x.txt", "data.dataset brown_pairs has no evaluation file: it is split by data.test_fraction and data.split_seed; remove data.eval_path")]
    [InlineData(TwoD, "data.tokenizer=null", "data.dataset brown_pairs needs data.tokenizer")]
    [InlineData(TwoD, "adapter.method=lora", "loss.type matryoshka_2d trains the whole model body (heads are unused); adapters and modules_to_save are not supported with it")]
    public void BadSettings_NameTheKey(string loss, string overrideToken, string message)
    {
        var result = ConfigLoader.Load(_files.Write("a.yaml", Yaml(loss)), overrideToken.Length > 0 ? [overrideToken] : []);
        Assert.Null(result.Config);
        Assert.Contains(result.Diagnostics, d => d.Message.Contains(message, StringComparison.Ordinal));
    }

    [Fact]
    public void ATransformersEmbeddingLoss_OnImages_NamesBothMismatches()
    {
        var path = _files.Write("a.yaml", $"model:\n  name: bert\n  hf_config: {Path.Combine(_files.Root, "bert.json")}\nloss:\n  type: mnrl\n");
        var messages = ConfigLoader.Load(path).Diagnostics.Select(d => d.Message).ToList();
        Assert.Contains(messages, m => m.StartsWith("model.name bert needs text data", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("loss.type mnrl needs model.name mlp (its hidden layers are the embeddings) on the image views of data.dataset fashion_mnist, got bert", StringComparison.Ordinal));
    }

    [Fact]
    public void UnreadableHfConfig_LeavesTheWidthChecksToTheModelBuild()
    {
        // No file: the dims cannot be checked here (the trainer checks them once the model exists).
        var yaml = Yaml(TwoD).Replace(Path.Combine(_files.Root, "bert.json"), "missing.json", StringComparison.Ordinal);
        var config = ConfigTestFiles.Valid(_files.Write("a.yaml", yaml), "loss.matryoshka.dims=[8,16,1024]");
        Assert.Equal([8, 16, 1024], config.Loss.Matryoshka.Dims);
    }
}
