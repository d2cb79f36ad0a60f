using LowRankTrainer.Config;

namespace LowRankTrainer.Tests.Config;

/// <summary><c>model.task</c>, <c>model.hf_config</c> and the cross-checks between text data, transformers and tasks.</summary>
public sealed class TransformerConfigTests : IDisposable
{
    private readonly ConfigTestFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void ATransformerOnSpamAssassinIsValidAndBindsItsKeys()
    {
        var path = _files.Write("a.yaml", "model:\n  name: gpt2\n  num_classes: 2\n  task: sequence_classification\n  hf_config: gpt2.json\ndata:\n  dataset: spam_assassin\n  tokenizer: tok\n");
        var m = ConfigTestFiles.Valid(path).Model;
        Assert.Equal(("gpt2", "sequence_classification", "gpt2.json"), (m.Name, m.Task, m.HfConfig));
    }

    [Theory]
    [InlineData("model:\n  name: mlp\ndata:\n  dataset: brown\n  tokenizer: tok\n",
                "data.dataset brown gives token ids: it needs a transformer model.name (bert, gpt2, llama, roberta), not mlp")]
    [InlineData("model:\n  name: gpt2\n  hf_config: g.json\n",
                "model.name gpt2 needs text data (data.dataset text_jsonl, text_csv, spam_assassin, text_lm, brown or brown_pairs), not fashion_mnist")]
    [InlineData("model:\n  name: gpt2\n  hf_config: g.json\ndata:\n  dataset: brown\n  tokenizer: tok\n",
                "data.dataset brown gives next-token targets: it needs model.task causal_lm, not sequence_classification")]
    [InlineData("model:\n  name: gpt2\n  num_classes: 2\n  task: causal_lm\n  hf_config: g.json\ndata:\n  dataset: spam_assassin\n  tokenizer: tok\n",
                "model.task causal_lm needs language-model data (data.dataset text_lm or brown), not spam_assassin")]
    [InlineData("model:\n  name: gpt2\n  num_classes: 2\ndata:\n  dataset: spam_assassin\n  tokenizer: tok\n",
                "model.name gpt2 needs model.hf_config (a config.json with the sizes, for a fresh model) or model.pretrained (an HF checkpoint folder)")]
    [InlineData("model:\n  name: gpt2\n  num_classes: 2\n  hf_config: g.json\n  pretrained: runs/x\ndata:\n  dataset: spam_assassin\n  tokenizer: tok\n",
                "model.hf_config and model.pretrained exclude each other: a checkpoint folder has its own config.json")]
    [InlineData("model:\n  name: mlp\n  hf_config: g.json\n",
                "model.hf_config is for transformer models (bert, gpt2, llama, roberta), not model.name mlp")]
    [InlineData("model:\n  name: gpt2\n  num_classes: 2\n  task: seq_cls\n  hf_config: g.json\ndata:\n  dataset: spam_assassin\n  tokenizer: tok\n",
                "model.task must be one of sequence_classification, causal_lm (got 'seq_cls')")]
    [InlineData("model:\n  name: gpt2\n  num_classes: 2\n  hf_config: g.json\ndata:\n  dataset: spam_assassin\n  tokenizer: tok\nloss:\n  fused_linear_cross_entropy: true\n",
                "loss.fused_linear_cross_entropy fuses a causal language model's head with its loss: it needs a transformer model.name with model.task causal_lm, not gpt2 (sequence_classification)")]
    [InlineData("model:\n  name: mlp\nloss:\n  fused_linear_cross_entropy: true\n",
                "loss.fused_linear_cross_entropy fuses a causal language model's head with its loss: it needs a transformer model.name with model.task causal_lm, not mlp (sequence_classification)")]
    [InlineData("model:\n  name: gpt2\n  task: causal_lm\n  hf_config: g.json\ndata:\n  dataset: brown\n  tokenizer: tok\nloss:\n  fused_linear_cross_entropy: true\n  label_smoothing: 0.1\n",
                "loss.fused_linear_cross_entropy computes plain cross-entropy; loss.label_smoothing 0.1 is not supported with it")]
    public void MismatchesGiveOneClearError(string yaml, string message)
    {
        var d = ConfigTestFiles.SingleError(_files.Write("a.yaml", yaml));
        Assert.Equal(message, d.Message);
    }
}
