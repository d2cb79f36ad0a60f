using System.Text.Json.Nodes;
using LowRankTrainer.Adapters;
using LowRankTrainer.Adapters.Lora;
using LowRankTrainer.Adapters.RandLora;
using LowRankTrainer.Checkpoints.Safetensors;
using LowRankTrainer.Models.Transformers;
using LowRankTrainer.Models.Transformers.Gpt2;
using LowRankTrainer.Tests.Adapters;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;
using static LowRankTrainer.Tests.Adapters.AdapterTestHelpers;

namespace LowRankTrainer.Tests.Interop;

/// <summary>
/// The pieces of PEFT interoperability that need no Python (PeftInteropTests checks the whole against PEFT where it is
/// installed): the keys and config lrt writes for GPT-2's Conv1D targets, PEFT-written configs (as PEFT 0.21's
/// <c>save_pretrained</c> words them) read back, and PEFT's per-layer copies of RandLoRA's shared bases.
/// </summary>
public sealed class PeftFormatTests : IDisposable
{
    private static readonly Gpt2Config Tiny = new() { VocabSize = 20, NPositions = 8, NEmbd = 8, NLayer = 2, NHead = 2, ResidPdrop = 0, EmbdPdrop = 0, AttnPdrop = 0 };
    private static readonly string[] Conv1DTargets = ["c_attn", "c_proj", "c_fc"];
    private readonly string _folder = TempFolder();
    private readonly List<Generator> _generators = [];   // a model's dropout layers keep the generator they were built with

    public void Dispose()
    {
        foreach (var g in _generators) g.Dispose();
        if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
    }

    private Generator NewGenerator(ulong seed)
    {
        var g = new Generator(seed);
        _generators.Add(g);
        return g;
    }

    private Gpt2Model Gpt2(ulong seed = 4) => new(Tiny, TransformerTask.CausalLm, null, NewGenerator(seed));

    private JsonObject SavedConfig() => (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(_folder, AdapterCheckpoint.ConfigFile)))!;

    private static Tensor Logits(Module<Tensor, Tensor> model)
    {
        model.Eval();
        using var noGrad = Autograd.NoGrad();
        using var ids = Tensor.From<long>([1, 5, 7, 2, 19, 3, 0, 11], [2, 4]);
        return model.Forward(ids);
    }

    [Fact]
    public void Save_Gpt2Conv1DTargets_PeftKeysAndShapes_FanInFanOutTrue_AndReloads()
    {
        using var model = Gpt2();
        var adapted = AdapterModel.Inject(model, new LoraOptions { TargetModules = Conv1DTargets, R = 2, Alpha = 4 });
        Assert.True(AdapterCheckpoint.StoredTransposedInHf(adapted));
        Perturb(adapted);
        AdapterCheckpoint.Save(adapted, _folder);

        using (var file = SafetensorsFile.Open(Path.Combine(_folder, AdapterCheckpoint.WeightsFile)))
        {
            var shapes = file.Tensors.ToDictionary(t => t.Name, t => t.Shape.ToArray());
            Assert.Equal(2 * 4 * 2, shapes.Count);
            // PEFT's LoRA on a Conv1D has lora_A = Linear(d_in, r), lora_B = Linear(r, d_out): the Linear shapes.
            Assert.Equal([2L, 8], shapes["base_model.model.transformer.h.0.attn.c_attn.lora_A.weight"]);
            Assert.Equal([24L, 2], shapes["base_model.model.transformer.h.0.attn.c_attn.lora_B.weight"]);
            Assert.Equal([2L, 32], shapes["base_model.model.transformer.h.1.mlp.c_proj.lora_A.weight"]);
            Assert.Equal([8L, 2], shapes["base_model.model.transformer.h.1.mlp.c_proj.lora_B.weight"]);
        }
        var config = SavedConfig();
        Assert.True(config["fan_in_fan_out"]!.GetValue<bool>());
        Assert.Equal("LORA", config["peft_type"]!.GetValue<string>());

        using var expected = Logits(model);
        using var fresh = Gpt2();
        AdapterCheckpoint.Load(fresh, _folder);
        using var reloaded = Logits(fresh);
        Assert.True(expected.ValueEquals(reloaded));
    }

    [Fact]
    public void Save_TargetsThatAreLinearInHf_FanInFanOutFalse()
    {
        // A model with no HF checkpoint layout, and a GPT-2 whose targets include its classifier head (a Linear in HF too).
        using var toy = AdapterTestModels.Toy();
        AdapterCheckpoint.Save(AdapterModel.Inject(toy, new LoraOptions { TargetModules = ["q_proj"] }), _folder);
        Assert.False(SavedConfig()["fan_in_fan_out"]!.GetValue<bool>());

        using var classifier = new Gpt2Model(Tiny, TransformerTask.SequenceClassification, ["a", "b"], NewGenerator(1));
        var adapted = AdapterModel.Inject(classifier, new LoraOptions { TargetModules = ["c_fc", "score"] });
        Assert.False(AdapterCheckpoint.StoredTransposedInHf(adapted));
    }

    [Fact]
    public void Save_RandLora_PeftScalingWritesOnlyPeftsFields_PaperScalingIsMarked()
    {
        using var model = Gpt2();
        var adapted = AdapterModel.Inject(model, new RandLoraOptions { TargetModules = Conv1DTargets, R = 4, Alpha = 8, ProjectionPrngKey = 5 });
        AdapterCheckpoint.Save(adapted, _folder);
        var config = SavedConfig();
        Assert.False(config.ContainsKey("randlora_scaling"));
        Assert.False(config.ContainsKey("exclude_modules"));     // not a RandLoraConfig field in PEFT 0.21
        Assert.True(config["fan_in_fan_out"]!.GetValue<bool>());
        Assert.Equal(8, config["randlora_alpha"]!.GetValue<double>());
        Assert.True(config["save_projection"]!.GetValue<bool>());
        using (var file = SafetensorsFile.Open(Path.Combine(_folder, AdapterCheckpoint.WeightsFile)))
        {
            var shapes = file.Tensors.ToDictionary(t => t.Name, t => t.Shape.ToArray());
            // Largest (d_out, d_in) over the targets = (32, 32) (c_fc 8→32, mlp.c_proj 32→8): m = M = 32, n_max = 8.
            Assert.Equal([4L, 1, 32], shapes["base_model.randlora_A"]);
            Assert.Equal([32L, 8, 4], shapes["base_model.randlora_B"]);
            Assert.Equal([4L, 2], shapes["base_model.model.transformer.h.0.attn.c_attn.randlora_lambda"]);   // m = 8, n = 2
            Assert.Equal([2L, 8], shapes["base_model.model.transformer.h.0.attn.c_attn.randlora_gamma"]);
        }
        Assert.Equal(RandLoraScaling.Peft, Assert.IsType<RandLoraOptions>(AdapterCheckpoint.ReadOptions(_folder)).Scaling);

        using var other = Gpt2();
        AdapterCheckpoint.Save(AdapterModel.Inject(other, new RandLoraOptions { TargetModules = Conv1DTargets, R = 4, Scaling = RandLoraScaling.Paper }), _folder);
        Assert.Equal("paper", SavedConfig()["randlora_scaling"]!.GetValue<string>());
        Assert.Equal(RandLoraScaling.Paper, Assert.IsType<RandLoraOptions>(AdapterCheckpoint.ReadOptions(_folder)).Scaling);
    }

    // adapter_config.json exactly as PEFT 0.21.0's save_pretrained wrote it (transformers 5.17) for the GPT-2 of
    // PeftInteropTests, with get_peft_model(LoraConfig(task_type="CAUSAL_LM", r=4, lora_alpha=8, target_modules=[c_attn,
    // c_proj, c_fc], fan_in_fan_out=True, init_lora_weights=False)) and the RandLoraConfig equivalent (r=8, alpha 16).
    private const string PeftLoraConfig = """
        {
          "alora_invocation_tokens": null,
          "alpha_pattern": {},
          "arrow_config": null,
          "auto_mapping": null,
          "base_model_name_or_path": "/tmp/base",
          "bias": "none",
          "corda_config": null,
          "ensure_weight_tying": false,
          "eva_config": null,
          "exclude_modules": null,
          "fan_in_fan_out": true,
          "inference_mode": true,
          "init_lora_weights": false,
          "kasa_config": null,
          "layer_replication": null,
          "layers_pattern": null,
          "layers_to_transform": null,
          "loftq_config": {},
          "lora_alpha": 8,
          "lora_bias": false,
          "lora_dropout": 0.0,
          "lora_ga_config": null,
          "megatron_config": null,
          "megatron_core": "megatron.core",
          "modules_to_save": null,
          "monteclora_config": null,
          "peft_type": "LORA",
          "peft_version": "0.21.0",
          "qalora_group_size": 16,
          "r": 4,
          "rank_pattern": {},
          "revision": null,
          "target_modules": [
            "c_attn",
            "c_fc",
            "c_proj"
          ],
          "target_parameters": null,
          "task_type": "CAUSAL_LM",
          "trainable_token_indices": null,
          "use_bdlora": null,
          "use_dora": false,
          "use_qalora": false,
          "use_rslora": false,
          "velora_config": null
        }
        """;

    private const string PeftRandLoraConfig = """
        {
          "auto_mapping": null,
          "base_model_name_or_path": "/tmp/base",
          "bias": "none",
          "fan_in_fan_out": true,
          "inference_mode": true,
          "init_weights": false,
          "layers_pattern": null,
          "layers_to_transform": null,
          "modules_to_save": null,
          "peft_type": "RANDLORA",
          "peft_version": "0.21.0",
          "projection_prng_key": 0,
          "r": 8,
          "randlora_alpha": 16,
          "randlora_dropout": 0.0,
          "revision": null,
          "save_projection": true,
          "sparse": false,
          "target_modules": [
            "c_attn",
            "c_fc",
            "c_proj"
          ],
          "task_type": "CAUSAL_LM",
          "very_sparse": false
        }
        """;

    private void WriteConfig(string json)
    {
        Directory.CreateDirectory(_folder);
        File.WriteAllText(Path.Combine(_folder, AdapterCheckpoint.ConfigFile), json);
    }

    [Fact]
    public void ReadOptions_PeftWrittenLoraConfig_FanInFanOutAndRandomInit_AreAccepted()
    {
        WriteConfig(PeftLoraConfig);
        var o = Assert.IsType<LoraOptions>(AdapterCheckpoint.ReadOptions(_folder));
        Assert.Equal((4, 8.0, 0.0, false), (o.R, o.Alpha, o.Dropout, o.UseRsLora));
        Assert.Equal(["c_attn", "c_fc", "c_proj"], o.TargetModules);
        Assert.Equal(LoraInit.KaimingUniform, o.Init);
        Assert.Equal(AdapterBias.None, o.Bias);
        Assert.Empty(o.ModulesToSave);

        using var model = Gpt2();
        var adapted = AdapterModel.Inject(model, o);
        Assert.Equal(8, adapted.Layers.Count);
    }

    [Theory]
    [InlineData("\"use_dora\": false", "\"use_dora\": true")]
    [InlineData("\"init_lora_weights\": false", "\"init_lora_weights\": \"pissa\"")]
    [InlineData("\"target_parameters\": null", "\"target_parameters\": [\"experts.gate_up_proj\"]")]
    [InlineData("\"layer_replication\": null", "\"layer_replication\": [[0, 2], [1, 2]]")]
    [InlineData("\"alora_invocation_tokens\": null", "\"alora_invocation_tokens\": [5, 6]")]
    [InlineData("\"kasa_config\": null", "\"kasa_config\": {}")]
    [InlineData("\"use_bdlora\": null", "\"use_bdlora\": true")]
    public void ReadOptions_PeftLoraVariantsThatChangeTheModel_AreRefused(string from, string to)
    {
        Assert.Contains(from, PeftLoraConfig, StringComparison.Ordinal);
        WriteConfig(PeftLoraConfig.Replace(from, to, StringComparison.Ordinal));
        Assert.Throws<NotSupportedException>(() => AdapterCheckpoint.ReadOptions(_folder));
    }

    [Fact]
    public void ReadOptions_PeftWrittenRandLoraConfig_IsAccepted()
    {
        WriteConfig(PeftRandLoraConfig);
        var o = Assert.IsType<RandLoraOptions>(AdapterCheckpoint.ReadOptions(_folder));
        Assert.Equal((8, 16.0, RandLoraScaling.Peft, 0UL, true), (o.R, o.Alpha, o.Scaling, o.ProjectionPrngKey, o.SaveProjection));
        Assert.Equal(2.0, o.ScalingFor(4));
        Assert.False(o.Sparse || o.VerySparse);
    }

    /// <summary>
    /// PEFT's save_pretrained writes RandLoRA's bases under base_model.randlora_A/B and again under every adapted module
    /// (each layer's BufferDict is the tuner's); lrt accepts those copies when they are equal, takes the bases from them
    /// when the shared keys are absent, and refuses a copy that differs.
    /// </summary>
    [Fact]
    public void LoadWeights_PeftsPerLayerCopiesOfTheBases_AcceptedWhenEqual_RefusedWhenNot()
    {
        using var model = AdapterTestModels.Mlp();
        var adapted = AdapterModel.Inject(model, new RandLoraOptions { TargetModules = ["layers.0", "layers.4"], R = 3, Alpha = 3 });
        Perturb(adapted);
        AdapterCheckpoint.Save(adapted, _folder);
        Assert.Equal(
            ["base_model.model.layers.0.randlora_A", "base_model.model.layers.0.randlora_B", "base_model.model.layers.4.randlora_A", "base_model.model.layers.4.randlora_B"],
            AdapterCheckpoint.SharedCopyKeys(adapted).Keys.Order(StringComparer.Ordinal));
        model.Eval();
        using var x = AdapterTestModels.Input(model);
        using var expected = model.Forward(x);
        var path = Path.Combine(_folder, AdapterCheckpoint.WeightsFile);
        var saved = SafetensorsFile.ReadAll(path);
        try
        {
            void Rewrite(Action<Dictionary<string, Tensor>> edit)
            {
                var tensors = saved.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
                edit(tensors);
                SafetensorsWriter.Write(path, tensors);
            }
            void AssertReloads()
            {
                using var fresh = AdapterTestModels.Mlp();
                AdapterCheckpoint.Load(fresh, _folder);
                fresh.Eval();
                using var y = fresh.Forward(x);
                Assert.True(expected.ValueEquals(y));
            }
            void AddCopies(Dictionary<string, Tensor> t)
            {
                foreach (var layer in new[] { "layers.0", "layers.4" })
                {
                    t[$"base_model.model.{layer}.randlora_A"] = saved["base_model.randlora_A"];
                    t[$"base_model.model.{layer}.randlora_B"] = saved["base_model.randlora_B"];
                }
            }

            Rewrite(AddCopies);          // PEFT's layout: shared keys plus per-layer copies
            AssertReloads();

            Rewrite(t =>                 // copies only
            {
                AddCopies(t);
                t.Remove("base_model.randlora_A");
                t.Remove("base_model.randlora_B");
            });
            AssertReloads();

            using var altered = saved["base_model.randlora_B"] * 2;
            Rewrite(t =>
            {
                AddCopies(t);
                t["base_model.model.layers.4.randlora_B"] = altered;
            });
            using var fresh = AdapterTestModels.Mlp();
            var e = Assert.Throws<LoadStateDictException>(() => AdapterCheckpoint.Load(fresh, _folder));
            Assert.Contains("base_model.model.layers.4.randlora_B", e.Message, StringComparison.Ordinal);

            using var misshaped = Tensor.Zeros(3, 1, 2);
            Rewrite(t =>
            {
                AddCopies(t);
                t["base_model.model.layers.0.randlora_A"] = misshaped;
            });
            using var fresh2 = AdapterTestModels.Mlp();
            var shape = Assert.Throws<LoadStateDictException>(() => AdapterCheckpoint.Load(fresh2, _folder));
            Assert.Equal("base_model.model.layers.0.randlora_A", Assert.Single(shape.MismatchedKeys).Key);
        }
        finally
        {
            foreach (var t in saved.Values) t.Dispose();
        }
    }
}
