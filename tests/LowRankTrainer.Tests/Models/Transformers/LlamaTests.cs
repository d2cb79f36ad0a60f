using System.Text.Json.Nodes;
using LowRankTrainer.Adapters;
using LowRankTrainer.Adapters.Lora;
using LowRankTrainer.Checkpoints.Safetensors;
using LowRankTrainer.Models.Transformers;
using LowRankTrainer.Models.Transformers.Llama;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;
using Xunit.Abstractions;

namespace LowRankTrainer.Tests.Models.Transformers;

public sealed class LlamaTests(ITestOutputHelper output) : IDisposable
{
    private static readonly LlamaConfig Tiny = new()
    {
        VocabSize = 40, HiddenSize = 32, IntermediateSize = 48, NumHiddenLayers = 2, NumAttentionHeads = 4, NumKeyValueHeads = 2,
        MaxPositionEmbeddings = 64, InitializerRange = 0.2,
    };

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "lrt-llama-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
    }

    [Theory]
    [InlineData("llama_lm")]
    [InlineData("llama_lm_tied_padded")]
    [InlineData("llama_cls_padded")]
    public void LogitsMatchTheTorchTranscriptionOfHfLlama(string fixture)
    {
        var diff = TransformerFixture.MaxLogitDiff(fixture);
        output.WriteLine($"{fixture}: max |Δlogits| = {diff:E3}");
        Assert.True(diff < 1e-5, $"{fixture}: {diff}");
    }

    [Fact]
    public void ChangingTokenT_ChangesNoLogitBeforeT()
    {
        using var g = new Generator(3);
        using var model = new LlamaModel(Tiny, TransformerTask.CausalLm, null, g);
        model.Eval();
        using var scope = new DisposeScope();
        var ids = Tensor.RandInt(0, Tiny.VocabSize, [2, 9], g);
        var changed = ids.Clone();
        using (var column = changed.Select(1, 5)) column.Copy_(column.Eq(0L).To(DType.Int64));   // 0 → 1, anything else → 0
        var a = model.Forward(ids);
        var b = model.Forward(changed);
        Assert.True(TransformerFixture.MaxAbsDiff(a.Narrow(1, 0, 5), b.Narrow(1, 0, 5)) < 1e-6);
        for (var t = 5; t < 9; t++) Assert.True(TransformerFixture.MaxAbsDiff(a.Narrow(1, t, 1), b.Narrow(1, t, 1)) > 1e-4, $"position {t}");
    }

    [Fact]
    public void RightPadding_LeavesTheRealTokensLogitsAsWithoutIt()
    {
        using var g = new Generator(4);
        using var model = new LlamaModel(Tiny, TransformerTask.CausalLm, null, g, padTokenId: 0);
        model.Eval();
        using var scope = new DisposeScope();
        var real = Tensor.RandInt(1, Tiny.VocabSize, [1, 5], g);
        var padded = Tensor.Cat([real, Tensor.Zeros([1, 3], DType.Int64)], 1);
        var alone = model.Forward(real);
        var inBatch = model.Forward(padded).Narrow(1, 0, 5);
        Assert.True(TransformerFixture.MaxAbsDiff(alone, inBatch) < 1e-5);
    }

    [Fact]
    public void GroupedKeyValueHeads_EqualMultiHeadAttentionWithRepeatedKeyValueWeights()
    {
        using var g = new Generator(5);
        using var gqa = new LlamaModel(Tiny, TransformerTask.CausalLm, null, g);
        using var mha = new LlamaModel(Tiny with { NumKeyValueHeads = 4 }, TransformerTask.CausalLm, null, g);
        gqa.Eval();
        mha.Eval();
        using var scope = new DisposeScope();
        var state = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        using var source = gqa.StateDict();
        foreach (var (name, w) in source)
        {
            // k/v rows [G·D, d] → [G, 1, D, d] → [G, 2, D, d] → [H·D, d]: head h of the copy is head h/2 (repeat_kv); D = 8, d = 32.
            state[name] = name.EndsWith("k_proj.weight", StringComparison.Ordinal) || name.EndsWith("v_proj.weight", StringComparison.Ordinal)
                ? w.View(2, 1, 8, 32).Expand(2, 2, 8, 32).Reshape(32, 32)
                : w;
        }
        mha.LoadStateDict(state);
        var ids = Tensor.RandInt(0, Tiny.VocabSize, [2, 7], g);
        Assert.True(TransformerFixture.MaxAbsDiff(gqa.Forward(ids), mha.Forward(ids)) < 1e-5);
    }

    [Fact]
    public void Rope_ScoreDependsOnlyOnTheRelativePosition()
    {
        using var g = new Generator(6);
        using var scope = new DisposeScope();
        var rope = new LlamaRotaryEmbedding(8, 10000);
        var q = Tensor.Randn([1, 8], g);
        var k = Tensor.Randn([1, 8], g);
        double Score(long m, long n)
        {
            using var inner = new DisposeScope();
            var (cos, sin) = rope.CosSin(Tensor.Arange(0L, 64L, 1L, DType.Int64), DType.Float32);
            var qm = LlamaRotaryEmbedding.Apply(q, cos.Narrow(0, m, 1), sin.Narrow(0, m, 1));
            var kn = LlamaRotaryEmbedding.Apply(k, cos.Narrow(0, n, 1), sin.Narrow(0, n, 1));
            return qm.Mul(kn).Sum().ToDouble();
        }
        Assert.Equal(Score(3, 1), Score(40, 38), 4);
        Assert.Equal(Score(5, 5), Score(0, 0), 4);
        Assert.Equal(Score(0, 0), q.Mul(k).Sum().ToDouble(), 5);   // position 0 is no rotation
        Assert.NotEqual(Score(3, 1), Score(3, 2), 3);
        var x = Tensor.Arange(0L, 4L, 1L, DType.Float32);
        Assert.Equal([-2f, -3f, 0f, 1f], LlamaRotaryEmbedding.RotateHalf(x).ToArray<float>());
    }

    [Theory]
    [InlineData(false, TransformerTask.CausalLm)]
    [InlineData(true, TransformerTask.CausalLm)]
    [InlineData(false, TransformerTask.SequenceClassification)]
    public void SaveThenLoad_GivesBitIdenticalLogits(bool tied, TransformerTask task)
    {
        using var g = new Generator(7);
        var labels = task == TransformerTask.SequenceClassification ? new[] { "a", "b" } : null;
        using var model = new LlamaModel(Tiny with { TieWordEmbeddings = tied, EosTokenIds = [2, 3] }, task, labels, g, padTokenId: 0);
        model.Eval();
        PretrainedTransformer.Save(model, _folder, maxShardBytes: 40_000);
        var index = JsonNode.Parse(File.ReadAllText(Path.Combine(_folder, "model.safetensors.index.json")))!["weight_map"]!.AsObject();
        Assert.Equal(task == TransformerTask.CausalLm && !tied, index.ContainsKey("lm_head.weight"));
        Assert.True(index.ContainsKey("model.embed_tokens.weight"));
        Assert.True(index.Select(e => e.Value!.GetValue<string>()).Distinct().Count() > 1);
        Assert.DoesNotContain(index, e => e.Key.Contains("rotary", StringComparison.Ordinal));

        var (loaded, report) = PretrainedTransformer.Load(_folder, task: null, labels: null, g);
        using (loaded)
        {
            Assert.Empty(report.NewKeys);
            Assert.Empty(report.DroppedKeys);
            loaded.Eval();
            var config = Assert.IsType<LlamaModel>(loaded).Config;
            Assert.Equal(tied, config.TieWordEmbeddings);
            Assert.Equal([2L, 3L], config.EosTokenIds);
            using var scope = new DisposeScope();
            var ids = Tensor.RandInt(1, Tiny.VocabSize, [2, 6], g);
            Assert.True(model.Forward(ids).ValueEquals(loaded.Forward(ids)));
        }
    }

    [Fact]
    public void Lora_OnQAndV_TrainsOnlyTheLoraTensors()
    {
        using var g = new Generator(8);
        using var model = new LlamaModel(Tiny with { TieWordEmbeddings = true }, TransformerTask.CausalLm, null, g);
        var adapted = AdapterModel.Inject(model, new LoraOptions { TargetModules = ["q_proj", "v_proj"], R = 4, Alpha = 8 });
        Assert.Equal(
            ["model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj", "model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj"],
            adapted.Layers.Select(l => l.Name).Order(StringComparer.Ordinal));
        var trainable = adapted.TrainableParameters();
        Assert.Equal(8, trainable.Count);
        Assert.All(trainable, p => Assert.Contains(".lora_", p.Name, StringComparison.Ordinal));

        using var scope = new DisposeScope();
        var ids = Tensor.RandInt(0, Tiny.VocabSize, [2, 6], g);
        var before = model.Forward(ids);
        var logits = model.Forward(ids);
        var loss = Functional.CrossEntropy(logits.Reshape(-1, Tiny.VocabSize), ids.Reshape(-1));
        loss.Backward();
        Assert.All(trainable.Where(p => p.Name.Contains("lora_B", StringComparison.Ordinal)), p => Assert.True(p.Value.Grad!.Abs().Sum().ToDouble() > 0, p.Name));
        Assert.All(model.NamedParameters().Where(p => !p.Name.Contains(".lora_", StringComparison.Ordinal)), p => Assert.Null(p.Parameter.Value.Grad));

        // One step on B moves the logits: the adapters sit in the forward path.
        using (Autograd.NoGrad())
        {
            foreach (var (name, value) in trainable.Where(p => p.Name.Contains("lora_B", StringComparison.Ordinal))) value.Sub_(value.Grad!, 1.0);
        }
        Assert.True(TransformerFixture.MaxAbsDiff(before, model.Forward(ids)) > 1e-4);
    }

    [Fact]
    public void LoadingErrors_NameTheKeyAndTheFile()
    {
        CopyFixture("llama_lm_tied_padded");
        var shard = Path.Combine(_folder, "model-00002-of-00002.safetensors");
        var tensors = SafetensorsFile.ReadAll(shard);
        var victim = tensors.Keys.First(k => k.EndsWith("mlp.up_proj.weight", StringComparison.Ordinal));
        using (var scope = new DisposeScope())
        {
            tensors[victim].Dispose();
            tensors[victim] = Tensor.Zeros(3, 32);
            SafetensorsWriter.Write(shard, tensors);
        }
        foreach (var t in tensors.Values) t.Dispose();
        using var g = new Generator(9);
        var e = Assert.Throws<InvalidDataException>(() => PretrainedTransformer.Load(_folder, null, null, g));
        Assert.Contains(victim, e.Message, StringComparison.Ordinal);
        Assert.Contains("model-00002-of-00002.safetensors", e.Message, StringComparison.Ordinal);
        Assert.Contains("[3, 32]", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OldRotaryBuffersInTheCheckpoint_AreDroppedAsHfDoes()
    {
        CopyFixture("llama_lm");
        var path = Path.Combine(_folder, "model.safetensors");
        var tensors = SafetensorsFile.ReadAll(path);
        tensors["model.layers.0.self_attn.rotary_emb.inv_freq"] = Tensor.Ones(4);
        SafetensorsWriter.Write(path, tensors);
        foreach (var t in tensors.Values) t.Dispose();
        using var g = new Generator(12);
        var (model, report) = PretrainedTransformer.Load(_folder, null, null, g);
        model.Dispose();
        Assert.Equal(["model.layers.0.self_attn.rotary_emb.inv_freq"], report.DroppedKeys);
    }

    [Theory]
    [InlineData("rope_scaling", """{"type": "linear", "factor": 2.0}""", "'rope_scaling'")]
    [InlineData("num_key_value_heads", "3", "'num_key_value_heads'")]
    [InlineData("rms_norm_eps", "\"small\"", "'rms_norm_eps'")]
    [InlineData("hidden_act", "\"tanh\"", "activation 'tanh'")]
    public void BadConfigValues_AreRefusedNamingTheFileAndKey(string key, string json, string expected)
    {
        CopyFixture("llama_lm");
        var path = Path.Combine(_folder, "config.json");
        var config = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        config[key] = JsonNode.Parse(json);
        File.WriteAllText(path, config.ToJsonString());
        using var g = new Generator(10);
        var e = Assert.Throws<InvalidDataException>(() => PretrainedTransformer.Load(_folder, null, null, g));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Config_RoundTripsThroughConfigJson()
    {
        using var g = new Generator(11);
        var config = Tiny with { HeadDim = 16, RopeTheta = 500000, AttentionBias = true, MlpBias = true, RmsNormEps = 1e-5, BosTokenId = null, EosTokenIds = [7, 8, 9] };
        using var model = new LlamaModel(config, TransformerTask.CausalLm, null, g);
        Assert.Equal([64L, 32L], model.GetParameter("model.layers.0.self_attn.q_proj.weight").Value.Shape);   // H·head_dim ≠ d
        Assert.Equal([32L, 64L], model.GetParameter("model.layers.0.self_attn.o_proj.weight").Value.Shape);
        Assert.Equal([32L], model.GetParameter("model.layers.1.mlp.down_proj.bias").Value.Shape);
        var back = LlamaConfig.FromJson(HfConfigJson.FromObject(JsonNode.Parse(model.ToConfigJson().ToJsonString())!.AsObject()));
        Assert.Equal(config with { NumKeyValueHeads = 2, EosTokenIds = back.EosTokenIds }, back);
        Assert.Equal([7L, 8L, 9L], back.EosTokenIds);
    }

    private void CopyFixture(string name)
    {
        Directory.CreateDirectory(_folder);
        foreach (var f in Directory.GetFiles(TransformerFixture.Folder(name))) File.Copy(f, Path.Combine(_folder, Path.GetFileName(f)));
    }
}
