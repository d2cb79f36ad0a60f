using LowRankTrainer.Adapters;
using LowRankTrainer.Config;
using LowRankTrainer.Models.Transformers;
using LowRankTrainer.Models.Transformers.Gpt2;
using LowRankTrainer.Models.Transformers.Llama;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Tests.Config;

/// <summary>
/// The GPU benchmark's workloads (tools/bench/gpu: run.sh against PyTorch + PEFT, issue #9): its lrt configs validate
/// with the settings BENCHMARKS.md says both sides share, its HF config files give the stated shapes, and one block of
/// each model takes exactly the LoRA parameters that report.py's FLOPs model counts (r·Σ(in + out) over the targets), so
/// the MFU column and the "trainable lrt / PEFT" check rest on the modules lrt really adapts.
/// </summary>
public sealed class GpuBenchConfigTests
{
    private static string Dir => Path.Combine(ConfigTestFiles.RepoRoot(), "tools", "bench", "gpu");

    [Theory]
    [InlineData("gpt2_lora.yaml", "gpt2", "gpt2_124m.json", 1024, 8, 50, 10, new[] { "c_attn", "c_proj", "c_fc" })]
    [InlineData("llama1b_lora.yaml", "llama", "llama_1b.json", 2048, 4, 30, 5, new[] { "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj" })]
    public void Config_Validates_WithTheSettingsBothSidesShare(string file, string model, string hfConfig, int blockSize, int batch, int steps, int logging, string[] targets)
    {
        var c = ConfigTestFiles.Valid(Path.Combine(Dir, file));
        Assert.Equal((model, "causal_lm", "tools/bench/gpu/" + hfConfig, null), (c.Model.Name, c.Model.Task, c.Model.HfConfig, c.Model.Pretrained));
        Assert.Equal(("brown", blockSize, 0.0), (c.Data.Dataset, c.Data.BlockSize, c.Data.TestFraction));
        Assert.Null(c.Data.PadTokenId); // no pad id: no attention mask, so SDPA takes its causal (flash) path
        Assert.Equal(("lora", 16, 32.0, 0.0, "none"), (c.Adapter.Method, c.Adapter.R, c.Adapter.LoraAlpha, c.Adapter.LoraDropout, c.Adapter.Bias));
        Assert.Equal(targets, c.Adapter.TargetModules);
        Assert.Empty(c.Adapter.ModulesToSave);
        Assert.Equal(("cuda", "bf16", true, "adamw_torch"), (c.Train.Device, c.Train.Dtype, c.Train.Tf32, c.Train.Optim));
        Assert.Equal((batch, 1, steps, 2e-4, 0.0, 1.0), (c.Train.PerDeviceTrainBatchSize, c.Train.GradientAccumulationSteps, c.Train.MaxSteps, c.Train.LearningRate, c.Train.WeightDecay, c.Train.MaxGradNorm));
        Assert.Equal(("linear", 0.0, 0), (c.Train.LrSchedulerType, c.Train.WarmupRatio, c.Train.WarmupSteps));
        Assert.Equal(("no", "no", logging), (c.Eval.EvalStrategy, c.Checkpoint.SaveStrategy, c.Logging.LoggingSteps));
        Assert.Equal(0, c.Train.MaxSteps % logging);
    }

    [Fact]
    public void Gpt2Config_IsGpt2SmallWithoutDropout()
    {
        var c = Gpt2Config.FromJson(HfConfigJson.Read(Path.Combine(Dir, "gpt2_124m.json")));
        Assert.Equal((50257L, 1024L, 768L, 12L, 12L, 3072L), (c.VocabSize, c.NPositions, c.NEmbd, c.NLayer, c.NHead, c.InnerSize));
        Assert.Equal((0.0, 0.0, 0.0), (c.ResidPdrop, c.EmbdPdrop, c.AttnPdrop));
        Assert.Equal("gelu_pytorch_tanh", c.ActivationFunction);
    }

    [Fact]
    public void LlamaConfig_IsLlama32OneBsBodyWithGqa()
    {
        var c = LlamaConfig.FromJson(HfConfigJson.Read(Path.Combine(Dir, "llama_1b.json")));
        Assert.Equal((2048L, 16L, 32L, 8L, 64L, 8192L), (c.HiddenSize, c.NumHiddenLayers, c.NumAttentionHeads, c.KeyValueHeads, c.HeadSize, c.IntermediateSize));
        Assert.True(c.TieWordEmbeddings);
        // GPT-2's ids (< 50257) fit, and the vocabulary is a multiple of 64; the 2048-token rows fit the positions.
        Assert.Equal((50304L, 0L), (c.VocabSize, c.VocabSize % 64));
        Assert.True(c.MaxPositionEmbeddings >= 2048);
        Assert.Equal(0.0, c.AttentionDropout);
    }

    /// <summary>One block at full width (vocabulary shrunk: the head is not adapted), adapted as the config says.</summary>
    [Theory]
    [InlineData("gpt2_lora.yaml", "gpt2_124m.json", "n_layer", 16 * ((768 + 3 * 768) + (768 + 768) + (768 + 3072) + (3072 + 768)))]
    [InlineData("llama1b_lora.yaml", "llama_1b.json", "num_hidden_layers", 16 * (2 * (2048 + 2048) + 2 * (2048 + 512) + 3 * (2048 + 8192)))]
    public void OneBlock_TakesTheLoraParametersOfTheFlopsModel(string file, string hfConfig, string layersKey, long perBlock)
    {
        var c = ConfigTestFiles.Valid(Path.Combine(Dir, file));
        var hf = HfConfigJson.Read(Path.Combine(Dir, hfConfig)).WithOverride(layersKey, 1L).WithOverride("vocab_size", 64L);
        using var g = new Generator(1);
        using var model = TransformerRegistry.Create(hf, TransformerTask.CausalLm, null, g);
        var adapted = AdapterModel.Inject(model, AdapterConfigMapper.ToOptions(c.Adapter, c.Train.Seed)!);
        Assert.Equal(c.Adapter.TargetModules.Count + (file.StartsWith("gpt2", StringComparison.Ordinal) ? 1 : 0), adapted.Layers.Count); // GPT-2: c_proj names two
        Assert.Equal(perBlock, adapted.TrainableParameters().Sum(p => p.Value.NumEl));
    }
}
