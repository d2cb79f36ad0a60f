using System.Text.Json.Nodes;
using LowRankTrainer.Adapters;
using LowRankTrainer.Adapters.Lora;
using LowRankTrainer.Checkpoints.Safetensors;
using LowRankTrainer.Models.Transformers;
using LowRankTrainer.Models.Transformers.Bert;
using LowRankTrainer.Tests.Adapters;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;
using Xunit.Abstractions;

namespace LowRankTrainer.Tests.Models.Transformers;

/// <summary>BERT and RoBERTa against tools/fixtures/make_bert_fixture.py, plus HF loading rules, padding, save/load and LoRA.</summary>
public sealed class BertTests(ITestOutputHelper output) : IDisposable
{
    private static readonly string[] Labels = ["negative", "neutral", "positive"];

    // Outlives the models built from it (their dropout layers keep it).
    private readonly Generator _generator = new(0);

    public void Dispose() => _generator.Dispose();

    [Theory]
    [InlineData("bert_cls_padded")]
    [InlineData("roberta_cls_padded")]
    public void LogitsMatchTheTorchTranscriptionOfHf(string fixture)
    {
        var diff = TransformerFixture.MaxLogitDiff(fixture);
        output.WriteLine($"{fixture}: max |Δlogits| = {diff:E2}");
        Assert.True(diff < 1e-5, $"{fixture}: {diff}");
    }

    [Theory]
    [InlineData("bert_cls_padded")]
    [InlineData("roberta_cls_padded")]
    public void MorePaddingLeavesTheLogitsUnchanged(string fixture)
    {
        using var scope = new DisposeScope();
        var (model, expected) = LoadFixture(fixture);
        using (model)
        {
            var ids = expected["input_ids"];
            using var extra = Tensor.Full([ids.Size(0), 5], model.PadTokenId!.Value, DType.Int64);
            using var longer = Tensor.Cat([ids, extra], 1);
            var diff = TransformerFixture.MaxAbsDiff(model.Forward(ids), model.Forward(longer));
            output.WriteLine($"{fixture}: max |Δlogits| with 5 more pad columns = {diff:E2}");
            Assert.True(diff < 1e-5, $"{diff}");
        }
    }

    [Theory]
    [InlineData("bert_cls_padded", "BertForSequenceClassification")]
    [InlineData("roberta_cls_padded", "RobertaForSequenceClassification")]
    public void SaveThenLoadGivesIdenticalLogits(string fixture, string architecture)
    {
        var folder = AdapterTestHelpers.TempFolder();
        try
        {
            using var scope = new DisposeScope();
            var (model, expected) = LoadFixture(fixture);
            using (model)
            {
                PretrainedTransformer.Save(model, folder);
                var config = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, PretrainedTransformer.ConfigFile)))!;
                Assert.Equal(architecture, config["architectures"]![0]!.GetValue<string>());
                Assert.Null(config["classifier_dropout"]);
                using var g = new Generator(1);
                var (loaded, report) = PretrainedTransformer.Load(folder, task: null, labels: null, g);
                using (loaded)
                {
                    Assert.Empty(report.NewKeys);
                    Assert.Empty(report.DroppedKeys);
                    Assert.Equal(Labels, loaded.Labels);
                    loaded.Eval();
                    var ids = expected["input_ids"];
                    Assert.Equal(0.0, TransformerFixture.MaxAbsDiff(model.Forward(ids), loaded.Forward(ids)));
                }
            }
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void RobertaDropsThePoolerAndThePositionIdsBuffer()
    {
        using var g = new Generator(0);
        var (model, report) = PretrainedTransformer.Load(TransformerFixture.Folder("roberta_cls_padded"), null, null, g);
        using (model)
        {
            Assert.IsType<RobertaModel>(model);
            Assert.Equal(2, report.Files.Count);
            Assert.Equal(["roberta.embeddings.position_ids", "roberta.pooler.dense.bias", "roberta.pooler.dense.weight"], report.DroppedKeys.Order(StringComparer.Ordinal));
            Assert.DoesNotContain(model.StateDict().Keys, k => k.Contains("pooler", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void ABareBertModelLoadsAsAClassifierWithANewHead()
    {
        using var scope = new DisposeScope();
        using var g = new Generator(0);
        var folder = TransformerFixture.Folder("bert_body");
        var (model, report) = PretrainedTransformer.Load(folder, TransformerTask.SequenceClassification, ["a", "b"], g);
        using (model)
        {
            Assert.Equal(["classifier.bias", "classifier.weight"], report.NewKeys.Order(StringComparer.Ordinal));
            Assert.Empty(report.DroppedKeys);
            CheckBody((BertModel)model, folder);
        }
    }

    [Fact]
    public void ABareBertModelWithoutPoolerLoadsWithANewPooler()
    {
        var folder = AdapterTestHelpers.TempFolder();
        try
        {
            using var scope = new DisposeScope();
            var source = TransformerFixture.Folder("bert_body");
            CopyFolder(source, folder);
            var tensors = SafetensorsFile.ReadAll(Path.Combine(source, HfWeightFiles.SingleFile));
            SafetensorsWriter.Write(Path.Combine(folder, HfWeightFiles.SingleFile), tensors.Where(e => !e.Key.StartsWith("pooler.", StringComparison.Ordinal)));
            using var g = new Generator(0);
            var (model, report) = PretrainedTransformer.Load(folder, TransformerTask.SequenceClassification, ["a", "b"], g);
            using (model)
            {
                Assert.Equal(["bert.pooler.dense.bias", "bert.pooler.dense.weight", "classifier.bias", "classifier.weight"], report.NewKeys.Order(StringComparer.Ordinal));
                model.Eval();
                var expected = SafetensorsFile.ReadAll(Path.Combine(source, "expected.safetensors"));
                Assert.True(TransformerFixture.MaxAbsDiff(expected["last_hidden_state"], ((BertModel)model).Hidden(expected["input_ids"])) < 1e-5);
            }
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData("bert_body")]
    [InlineData("roberta_cls_padded")]
    public void ACausalLmTaskIsRefused(string fixture)
    {
        using var g = new Generator(0);
        var e = Assert.Throws<ArgumentException>(() => PretrainedTransformer.Load(TransformerFixture.Folder(fixture), TransformerTask.CausalLm, null, g));
        Assert.Contains("encoder", e.Message, StringComparison.Ordinal);
        Assert.Contains("SequenceClassification", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoraOnQueryAndValueTrainsOnlyTheAdapterAndTheClassifier()
    {
        using var scope = new DisposeScope();
        var (model, expected) = LoadFixture("bert_cls_padded");
        using (model)
        {
            var ids = expected["input_ids"];
            var before = model.Forward(ids);
            var adapted = AdapterModel.Inject(model, new LoraOptions { TargetModules = ["query", "value"], ModulesToSave = ["classifier"], R = 4, Alpha = 8 });
            Assert.Equal(["bert.encoder.layer.0.attention.self.query", "bert.encoder.layer.0.attention.self.value",
                          "bert.encoder.layer.1.attention.self.query", "bert.encoder.layer.1.attention.self.value"], adapted.Layers.Select(l => l.Name));
            var trainable = adapted.TrainableParameters().Select(p => p.Name).ToList();
            Assert.Equal(10, trainable.Count);
            Assert.All(trainable, n => Assert.True(n.Contains(".lora_", StringComparison.Ordinal) || n.StartsWith("classifier.", StringComparison.Ordinal), n));
            Assert.Equal(0.0, TransformerFixture.MaxAbsDiff(before, model.Forward(ids)));   // B = 0 at the start

            model.Train();
            var logits = model.Forward(ids);
            Assert.Equal([ids.Size(0), Labels.Length], logits.Shape);
            logits.Sum().Backward();
            foreach (var (name, p) in model.NamedParameters())
            {
                Assert.Equal(trainable.Contains(name), p.Value.Grad is not null);
            }

            model.Eval();
            AdapterTestHelpers.Perturb(adapted);
            Assert.True(TransformerFixture.MaxAbsDiff(before, model.Forward(ids)) > 1e-3);
        }
    }

    [Fact]
    public void AMisShapedTensorIsNamedWithItsShard()
    {
        var folder = AdapterTestHelpers.TempFolder();
        try
        {
            using var scope = new DisposeScope();
            CopyFolder(TransformerFixture.Folder("roberta_cls_padded"), folder);
            const string shard = "model-00002-of-00002.safetensors";
            const string key = "roberta.encoder.layer.1.attention.self.value.weight";
            var tensors = SafetensorsFile.ReadAll(Path.Combine(folder, shard));
            tensors[key] = tensors[key].Narrow(0, 0, 20).Contiguous();
            SafetensorsWriter.Write(Path.Combine(folder, shard), tensors);
            using var g = new Generator(0);
            var e = Assert.Throws<InvalidDataException>(() => PretrainedTransformer.Load(folder, null, null, g));
            Assert.Contains($"{key}: [20, 24] in {shard}, the model needs [24, 24]", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void AMissingTensorIsNamedWithTheCheckpoint()
    {
        var folder = AdapterTestHelpers.TempFolder();
        try
        {
            using var scope = new DisposeScope();
            var source = TransformerFixture.Folder("bert_cls_padded");
            CopyFolder(source, folder);
            const string key = "bert.encoder.layer.0.output.LayerNorm.weight";
            var tensors = SafetensorsFile.ReadAll(Path.Combine(source, HfWeightFiles.SingleFile));
            SafetensorsWriter.Write(Path.Combine(folder, HfWeightFiles.SingleFile), tensors.Where(e => e.Key != key));
            using var g = new Generator(0);
            var e = Assert.Throws<InvalidDataException>(() => PretrainedTransformer.Load(folder, null, null, g));
            Assert.Contains($"missing keys: {key}", e.Message, StringComparison.Ordinal);
            Assert.Contains(folder, e.Message, StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData("position_embedding_type", "\"relative_key\"", "only 'absolute'")]
    [InlineData("hidden_size", "30", "'hidden_size' (30) must be a multiple of 'num_attention_heads' (4)")]
    [InlineData("hidden_act", "\"tanh\"", "activation 'tanh' is not supported")]
    [InlineData("layer_norm_eps", "\"1e-12\"", "'layer_norm_eps' must be a number")]
    public void BadConfigValuesAreNamed(string key, string json, string message)
    {
        var config = TinyConfig("bert");
        config[key] = JsonNode.Parse(json);
        using var g = new Generator(0);
        var e = Assert.Throws<InvalidDataException>(() => TransformerRegistry.Create(HfConfigJson.FromObject(config, "x/config.json"), TransformerTask.SequenceClassification, Labels, g));
        Assert.Contains("x/config.json", e.Message, StringComparison.Ordinal);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("bert", 0L, 1e-12, "bert.")]
    [InlineData("roberta", 1L, 1e-5, "roberta.")]
    public void FreshModelsFollowHfInitAndDefaults(string type, long pad, double eps, string prefix)
    {
        var config = TinyConfig(type);
        config.Remove("pad_token_id");
        config.Remove("layer_norm_eps");
        using var g = new Generator(3);
        using var model = (BertFamilyModel)TransformerRegistry.Create(HfConfigJson.FromObject(config), TransformerTask.SequenceClassification, Labels, g);
        Assert.Equal(pad, model.PadTokenId);
        Assert.Equal(eps, model.Config.LayerNormEps);
        using var scope = new DisposeScope();
        var state = model.StateDict();
        Assert.Equal(0.0, state[prefix + "embeddings.word_embeddings.weight"].Select(0, pad).Abs().Max().ToDouble());
        Assert.Equal(type == "roberta", state[prefix + "embeddings.position_embeddings.weight"].Select(0, pad).Abs().Max().ToDouble() == 0);
        foreach (var (name, t) in state)
        {
            if (name.EndsWith("LayerNorm.weight", StringComparison.Ordinal)) Assert.Equal(1.0, t.Min().ToDouble());
            else if (name.EndsWith(".bias", StringComparison.Ordinal)) Assert.Equal(0.0, t.Abs().Max().ToDouble());
            else Assert.InRange(t.Std().ToDouble(), 0.01, 0.03);
        }
        using var ids = Tensor.Full([2, 5], 7L, DType.Int64);
        model.Eval();
        Assert.Equal([2, Labels.Length], model.Forward(ids).Shape);
    }

    private void CheckBody(BertModel model, string folder)
    {
        model.Eval();
        var expected = SafetensorsFile.ReadAll(Path.Combine(folder, "expected.safetensors"));
        var hidden = model.Hidden(expected["input_ids"]);
        var hiddenDiff = TransformerFixture.MaxAbsDiff(expected["last_hidden_state"], hidden);
        var pooledDiff = TransformerFixture.MaxAbsDiff(expected["pooler_output"], model.Body.Pooler!.Forward(hidden));
        output.WriteLine($"bert_body: max |Δlast_hidden_state| = {hiddenDiff:E2}, max |Δpooler_output| = {pooledDiff:E2}");
        Assert.True(hiddenDiff < 1e-5, $"hidden {hiddenDiff}");
        Assert.True(pooledDiff < 1e-5, $"pooled {pooledDiff}");
    }

    private (TransformerModel Model, OrderedDictionary<string, Tensor> Expected) LoadFixture(string fixture)
    {
        var folder = TransformerFixture.Folder(fixture);
        var (model, _) = PretrainedTransformer.Load(folder, null, null, _generator);
        model.Eval();
        return (model, SafetensorsFile.ReadAll(Path.Combine(folder, "expected.safetensors")));
    }

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
    }

    // Parsed from text: HfConfigJson's number getters read parsed JSON (a JsonValue built from a CLR long is not read as a double).
    private static JsonObject TinyConfig(string type) => (JsonObject)JsonNode.Parse(
        $$"""
        {"model_type": "{{type}}", "vocab_size": 70, "hidden_size": 24, "num_hidden_layers": 2, "num_attention_heads": 4,
         "intermediate_size": 40, "max_position_embeddings": 20, "pad_token_id": 0, "layer_norm_eps": 1e-12}
        """)!;
}
