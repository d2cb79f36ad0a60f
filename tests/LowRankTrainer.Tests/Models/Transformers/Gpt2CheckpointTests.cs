using System.Text.Json.Nodes;
using LowRankTrainer.Checkpoints.Safetensors;
using LowRankTrainer.Models.Transformers;
using LowRankTrainer.Models.Transformers.Gpt2;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Tests.Models.Transformers;

/// <summary>GPT-2 in HF layout: save/load round trips, sharding, task changes, bare-body checkpoints, and the key errors.</summary>
public sealed class Gpt2CheckpointTests : IDisposable
{
    private static readonly Gpt2Config Tiny = new() { VocabSize = 50, NPositions = 12, NEmbd = 16, NLayer = 2, NHead = 2, ResidPdrop = 0, EmbdPdrop = 0, AttnPdrop = 0 };
    private readonly string _dir = Directory.CreateTempSubdirectory("lrt-gpt2-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Tensor Ids(long pad = 0) => Tensor.From<long>([5, 9, 13, 2, 7, 1, 8, 8, 3, pad, pad, pad], [2, 6]);

    private static Tensor Logits(TransformerModel model, Tensor ids)
    {
        model.Eval();
        using var noGrad = Autograd.NoGrad();
        return model.Forward(ids);
    }

    [Theory]
    [InlineData(TransformerTask.CausalLm, HfWeightFiles.DefaultMaxShardBytes)]
    [InlineData(TransformerTask.SequenceClassification, HfWeightFiles.DefaultMaxShardBytes)]
    [InlineData(TransformerTask.CausalLm, 4000)]
    public void SaveThenLoadGivesIdenticalLogits(TransformerTask task, long maxShardBytes)
    {
        using var scope = new DisposeScope();
        using var g = new Generator(3);
        string[]? labels = task == TransformerTask.SequenceClassification ? ["no", "yes"] : null;
        using var model = new Gpt2Model(Tiny, task, labels, g, padTokenId: 0);
        PretrainedTransformer.Save(model, _dir, maxShardBytes);
        var sharded = File.Exists(Path.Combine(_dir, HfWeightFiles.IndexFile));
        Assert.Equal(maxShardBytes < 10000, sharded);
        Assert.Equal(sharded, !File.Exists(Path.Combine(_dir, HfWeightFiles.SingleFile)));

        using var g2 = new Generator(99);
        var (loaded, report) = PretrainedTransformer.Load(_dir, null, null, g2);
        using (loaded)
        {
            Assert.Empty(report.NewKeys);
            Assert.Empty(report.DroppedKeys);
            Assert.Equal(task, loaded.Task);
            Assert.Equal(labels, loaded.Labels);
            using var ids = Ids();
            var want = Logits(model, ids);
            var got = Logits(loaded, ids);
            Assert.Equal(0.0, TransformerFixture.MaxAbsDiff(want, got));
        }
    }

    [Fact]
    public void ConvWeightsAreStoredInHfLayoutAndTheTiedHeadIsNotSaved()
    {
        using var g = new Generator(1);
        using var model = new Gpt2Model(Tiny, TransformerTask.CausalLm, null, g);
        PretrainedTransformer.Save(model, _dir);
        using var file = SafetensorsFile.Open(Path.Combine(_dir, HfWeightFiles.SingleFile));
        Assert.Equal([16L, 48L], file.GetInfo("transformer.h.0.attn.c_attn.weight").Shape);
        Assert.Equal([16L, 64L], file.GetInfo("transformer.h.1.mlp.c_fc.weight").Shape);
        Assert.Equal([64L, 16L], file.GetInfo("transformer.h.1.mlp.c_proj.weight").Shape);
        Assert.False(file.Contains("lm_head.weight"));
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(_dir, "config.json")))!;
        Assert.Equal("GPT2LMHeadModel", config["architectures"]![0]!.GetValue<string>());
        Assert.Equal(16, config["n_embd"]!.GetValue<long>());
    }

    [Fact]
    public void ALanguageModelLoadsAsAClassifierWithANewHeadAndTheOldHeadDropped()
    {
        using var scope = new DisposeScope();
        using var g = new Generator(1);
        using var lm = new Gpt2Model(Tiny, TransformerTask.CausalLm, null, g, padTokenId: 0);
        PretrainedTransformer.Save(lm, _dir);
        var (cls, report) = PretrainedTransformer.Load(_dir, TransformerTask.SequenceClassification, ["a", "b", "c"], g);
        using (cls)
        {
            Assert.Equal(["score.weight"], report.NewKeys);
            Assert.Equal(new[] { 3L, 16L }, cls.GetParameter("score.weight").Value.Shape);
            using var ids = Ids();
            var logits = Logits(cls, ids);
            Assert.Equal(new[] { 2L, 3L }, logits.Shape);
            // The body is the LM's: equal embeddings.
            Assert.Equal(0.0, TransformerFixture.MaxAbsDiff(lm.GetParameter("transformer.wte.weight").Value, cls.GetParameter("transformer.wte.weight").Value));
        }
    }

    [Fact]
    public void ABareBodyCheckpointWithoutThePrefixLoads()
    {
        using var scope = new DisposeScope();
        using var g = new Generator(2);
        using var lm = new Gpt2Model(Tiny, TransformerTask.CausalLm, null, g);
        PretrainedTransformer.Save(lm, _dir);
        // Rewrite as the original "gpt2" files are: GPT2Model keys without "transformer.", plus the old attn.bias buffers.
        var path = Path.Combine(_dir, HfWeightFiles.SingleFile);
        var all = SafetensorsFile.ReadAll(path);
        var bare = all.ToDictionary(e => e.Key["transformer.".Length..], e => e.Value);
        bare["h.0.attn.bias"] = Tensor.Ones([1, 1, 12, 12]);
        SafetensorsWriter.Write(path, bare);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(_dir, "config.json")))!.AsObject();
        config["architectures"] = new JsonArray("GPT2Model");
        File.WriteAllText(Path.Combine(_dir, "config.json"), config.ToJsonString());

        var (loaded, report) = PretrainedTransformer.Load(_dir, TransformerTask.CausalLm, null, g);
        using (loaded)
        {
            Assert.Contains("h.0.attn.bias", report.DroppedKeys);
            using var ids = Ids(pad: 4);
            Assert.Equal(0.0, TransformerFixture.MaxAbsDiff(Logits(lm, ids), Logits(loaded, ids)));
        }
        foreach (var t in all.Values) t.Dispose();
    }

    [Fact]
    public void LoadingErrorsNameTheMissingUnexpectedAndMisshapedKeysAndTheFile()
    {
        using var scope = new DisposeScope();
        using var g = new Generator(2);
        using var lm = new Gpt2Model(Tiny, TransformerTask.CausalLm, null, g);
        PretrainedTransformer.Save(lm, _dir, maxShardBytes: 4000);
        var index = JsonNode.Parse(File.ReadAllText(Path.Combine(_dir, HfWeightFiles.IndexFile)))!;
        var shard = index["weight_map"]!["transformer.h.1.ln_2.weight"]!.GetValue<string>();
        var path = Path.Combine(_dir, shard);
        var tensors = SafetensorsFile.ReadAll(path);
        var edited = tensors.Where(e => e.Key != "transformer.h.1.ln_2.weight").ToDictionary(e => e.Key, e => e.Value);
        edited["transformer.h.1.ln_2.bias"] = Tensor.Zeros([17]);
        edited["transformer.h.9.extra"] = Tensor.Zeros([1]);
        SafetensorsWriter.Write(path, edited);
        var map = index["weight_map"]!.AsObject();
        map.Remove("transformer.h.1.ln_2.weight");
        map["transformer.h.9.extra"] = shard;
        File.WriteAllText(Path.Combine(_dir, HfWeightFiles.IndexFile), index.ToJsonString());

        using var before = lm.GetParameter("transformer.wte.weight").Value.Clone();
        var e = Assert.Throws<InvalidDataException>(() => PretrainedTransformer.LoadWeights(lm, _dir, headIsNew: false));
        Assert.Contains("missing keys: transformer.h.1.ln_2.weight", e.Message, StringComparison.Ordinal);
        Assert.Contains($"unexpected keys: transformer.h.9.extra ({shard})", e.Message, StringComparison.Ordinal);
        Assert.Contains($"transformer.h.1.ln_2.bias: [17] in {shard}, the model needs [16]", e.Message, StringComparison.Ordinal);
        // Nothing was copied.
        Assert.Equal(0.0, TransformerFixture.MaxAbsDiff(before, lm.GetParameter("transformer.wte.weight").Value));
        foreach (var t in tensors.Values) t.Dispose();
    }

    [Fact]
    public void AnIndexNamingAMissingShardIsReportedWithTheIndexFile()
    {
        using var g = new Generator(2);
        using var lm = new Gpt2Model(Tiny, TransformerTask.CausalLm, null, g);
        PretrainedTransformer.Save(lm, _dir, maxShardBytes: 4000);
        var shard = Directory.GetFiles(_dir, "model-00002-*.safetensors").Single();
        File.Delete(shard);
        var e = Assert.Throws<FileNotFoundException>(() => PretrainedTransformer.LoadWeights(lm, _dir, headIsNew: false));
        Assert.Contains(HfWeightFiles.IndexFile, e.Message, StringComparison.Ordinal);
        Assert.Contains(Path.GetFileName(shard), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SavingAgainWithoutShardsRemovesTheOldShards()
    {
        using var g = new Generator(2);
        using var lm = new Gpt2Model(Tiny, TransformerTask.CausalLm, null, g);
        PretrainedTransformer.Save(lm, _dir, maxShardBytes: 4000);
        PretrainedTransformer.Save(lm, _dir);
        Assert.Equal([HfWeightFiles.SingleFile], Directory.GetFiles(_dir, "model*").Select(Path.GetFileName));
    }

    [Fact]
    public void BadConfigValuesNameTheFileAndKey()
    {
        File.WriteAllText(Path.Combine(_dir, "config.json"), """{"model_type": "gpt2", "n_embd": 30, "n_head": 4}""");
        using var g = new Generator(2);
        var e = Assert.Throws<InvalidDataException>(() => PretrainedTransformer.Load(_dir, TransformerTask.CausalLm, null, g));
        Assert.Contains("config.json: 'n_embd' (30) must be a multiple of 'n_head' (4)", e.Message, StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(_dir, "config.json"), """{"model_type": "gpt2", "n_layer": "2"}""");
        e = Assert.Throws<InvalidDataException>(() => PretrainedTransformer.Load(_dir, TransformerTask.CausalLm, null, g));
        Assert.Contains("config.json: 'n_layer' must be an integer, got \"2\"", e.Message, StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(_dir, "config.json"), """{"model_type": "t5"}""");
        e = Assert.Throws<InvalidDataException>(() => PretrainedTransformer.Load(_dir, TransformerTask.CausalLm, null, g));
        Assert.Contains("model_type 't5' is not supported", e.Message, StringComparison.Ordinal);
    }
}

public sealed class HfConfigJsonTests
{
    [Fact]
    public void NumbersBuiltInCodeReadLikeParsedOnes()
    {
        var config = HfConfigJson.FromObject(new JsonObject { ["n_layer"] = 3L, ["eps"] = 1e-5, ["model_type"] = "gpt2" }).WithOverride("pad_token_id", 7);
        Assert.Equal(3, config.GetInt("n_layer"));
        Assert.Equal(1e-5, config.GetDouble("eps", 0));
        Assert.Equal(7, config.GetInt("pad_token_id"));
        using var g = new Generator(1);
        using var model = new Gpt2Model(new Gpt2Config { NLayer = 1, NEmbd = 8, NHead = 2, VocabSize = 5, NPositions = 4 }, TransformerTask.CausalLm, null, g);
        var fromModel = HfConfigJson.FromObject(model.ToConfigJson());
        Assert.Equal(8, Gpt2Config.FromJson(fromModel).NEmbd);
    }
}
