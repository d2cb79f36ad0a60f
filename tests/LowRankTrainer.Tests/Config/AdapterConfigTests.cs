using LowRankTrainer.Adapters;
using LowRankTrainer.Adapters.Intrinsic;
using LowRankTrainer.Adapters.Lora;
using LowRankTrainer.Adapters.RandLora;
using LowRankTrainer.Adapters.LoraSb;
using LowRankTrainer.Adapters.LoraXs;
using LowRankTrainer.Adapters.SvFit;
using LowRankTrainer.Config;

namespace LowRankTrainer.Tests.Config;

/// <summary>The adapter section's PEFT keys: loading, validation, writing and the mapping onto the method's options.</summary>
public sealed class AdapterConfigTests : IDisposable
{
    private readonly ConfigTestFiles _files = new();

    public void Dispose() => _files.Dispose();

    private const string Lora = """
        model:
          name: mlp
          hidden_sizes: [32, 16]
        adapter:
          method: lora
          r: 4
          lora_alpha: 16
          lora_dropout: 0.1
          target_modules: [layers.0, layers.2]
          exclude_modules: [layers.2]
          modules_to_save: [layers.4]
          bias: lora_only
          use_rslora: true
          init_lora_weights: gaussian
          rank_pattern: {layers.0: 2}
          alpha_pattern: {"layers\\.0": 3.5}
          init_seed: 11
        train:
          seed: 5
        """;

    [Fact]
    public void EveryLoraKey_Loads_AndMapsOntoLoraOptions()
    {
        var config = ConfigTestFiles.Valid(_files.Write("a.yaml", Lora));
        var a = config.Adapter;
        Assert.Equal(("lora", (int?)4, (double?)16.0, 0.1), (a.Method, a.R, a.LoraAlpha, a.LoraDropout));
        Assert.Equal(["layers.0", "layers.2"], a.TargetModules);
        Assert.Equal(2, a.RankPattern["layers.0"]);
        Assert.Equal(3.5, a.AlphaPattern["layers\\.0"]);

        var o = Assert.IsType<LoraOptions>(AdapterConfigMapper.ToOptions(a, config.Train.Seed));
        Assert.Equal((4, 16.0, 0.1, true, LoraInit.Gaussian), (o.R, o.Alpha, o.Dropout, o.UseRsLora, o.Init));
        Assert.Equal(["layers.0", "layers.2"], o.TargetModules);
        Assert.Equal(["layers.2"], o.ExcludeModules);
        Assert.Equal(["layers.4"], o.ModulesToSave);
        Assert.Equal(AdapterBias.AdapterOnly, o.Bias);
        Assert.Equal(11UL, o.InitSeed);
        Assert.Equal(2, o.RankOf("layers.0"));
        Assert.Equal(3.5, o.AlphaOf("layers.0"));
    }

    [Fact]
    public void InitSeed_DefaultsToTrainSeed_AndNoneMapsToNoOptions()
    {
        var config = ConfigTestFiles.Valid(_files.Write("a.yaml", Lora), "adapter.init_seed=null");
        Assert.Equal(5UL, AdapterConfigMapper.ToOptions(config.Adapter, config.Train.Seed)!.InitSeed);
        Assert.Null(AdapterConfigMapper.ToOptions(new AdapterConfig(), 1));
    }

    [Fact]
    public void AllLinear_AsAString_IsTheOneElementList()
    {
        var config = ConfigTestFiles.Valid(_files.Write("a.yaml", Lora), "adapter.target_modules=all-linear", "adapter.exclude_modules=[]");
        Assert.Equal([TargetSelector.AllLinear], config.Adapter.TargetModules);
    }

    [Fact]
    public void TargetModules_OtherString_PointsToTargetRegex()
    {
        var d = ConfigTestFiles.SingleError(_files.Write("a.yaml", Lora), "adapter.target_modules=layers.*");
        Assert.Equal(ConfigErrorCodes.WrongType, d.Code);
        Assert.Contains("adapter.target_regex", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ResolvedLoraConfig_RoundTripsThroughTheWriter()
    {
        var config = ConfigTestFiles.Valid(_files.Write("a.yaml", Lora));
        var text = ConfigWriter.Write(config);
        Assert.Contains("  rank_pattern: {layers.0: 2}", text, StringComparison.Ordinal);
        var back = ConfigTestFiles.Valid(_files.Write("b.yaml", text));
        Assert.Equal(text, ConfigWriter.Write(back));
        Assert.Equal(3.5, back.Adapter.AlphaPattern["layers\\.0"]);
        Assert.Equal("gaussian", back.Adapter.InitLoraWeights);
        Assert.Equal(11, back.Adapter.InitSeed);
    }

    [Fact]
    public void DefaultConfig_WithMethodNone_RoundTrips()
    {
        var text = ConfigWriter.Write(new ExperimentConfig { Name = "x" });
        var back = ConfigTestFiles.Valid(_files.Write("a.yaml", text));
        Assert.Equal(text, ConfigWriter.Write(back));
    }

    [Theory]
    [InlineData("adapter.r=0", "adapter.r must be >= 1", ConfigErrorCodes.OutOfRange)]
    [InlineData("adapter.lora_alpha=0", "adapter.lora_alpha must be > 0", ConfigErrorCodes.OutOfRange)]
    [InlineData("adapter.lora_dropout=1.0", "adapter.lora_dropout must be in [0, 1)", ConfigErrorCodes.OutOfRange)]
    [InlineData("adapter.bias=randlora_only", "adapter.bias must be one of none, all, lora_only", ConfigErrorCodes.InvalidChoice)]
    [InlineData("adapter.init_lora_weights=pissa", "adapter.init_lora_weights must be one of true, gaussian", ConfigErrorCodes.InvalidChoice)]
    [InlineData("adapter.method=lroa", "did you mean 'lora'?", ConfigErrorCodes.InvalidChoice)]
    [InlineData("adapter.rank_pattern={layers.0: 0}", "adapter.rank_pattern must be >= 1", ConfigErrorCodes.OutOfRange)]
    [InlineData("adapter.target_regex=layers\\.0", "not both", ConfigErrorCodes.Conflict)]
    public void BadLoraValue_IsOneDiagnosticAtTheKey(string over, string message, string code)
    {
        var d = ConfigTestFiles.SingleError(_files.Write("a.yaml", Lora), over);
        Assert.Equal(code, d.Code);
        Assert.Contains(message, d.Message, StringComparison.Ordinal);
        Assert.True(d.Location.IsOverride);
    }

    [Fact]
    public void Method_NeedsTargets()
    {
        var path = _files.Write("a.yaml", "model:\n  name: mlp\nadapter:\n  method: lora\n");
        var d = ConfigTestFiles.SingleError(path);
        Assert.Equal(ConfigErrorCodes.Missing, d.Code);
        Assert.Contains("needs adapter.target_modules", d.Message, StringComparison.Ordinal);
        Assert.Equal((4, 3), (d.Location.Line, d.Location.Column));
    }

    [Fact]
    public void LoraKeys_WithMethodNone_AreConflicts()
    {
        var path = _files.Write("a.yaml", "adapter:\n  method: none\n  r: 16\n  target_modules: [layers.0]\n");
        var result = ConfigLoader.Load(path);
        Assert.Null(result.Config);
        Assert.Equal(2, result.Diagnostics.Count);
        Assert.All(result.Diagnostics, d => Assert.Equal(ConfigErrorCodes.Conflict, d.Code));
        Assert.Contains(result.Diagnostics, d => d.Message.Contains("adapter.r is not valid for adapter.method none", StringComparison.Ordinal));
        Assert.Contains(result.Diagnostics, d => d.Message.Contains("adapter targets need an adapter method", StringComparison.Ordinal));
    }

    [Fact]
    public void EveryRegisteredMethod_IsAValidChoice()
    {
        foreach (var method in AdapterRegistry.Methods)
        {
            var config = ConfigTestFiles.Valid(_files.Write($"{method.Name}.yaml", $"adapter:\n  method: {method.Name}\n  target_modules: all-linear\n"));
            Assert.Equal(method.Name, config.Adapter.Method);
        }
    }

    [Fact]
    public void UnknownMethod_ListsNoneAndEveryRegisteredMethod()
    {
        var d = ConfigTestFiles.SingleError(_files.Write("a.yaml", "adapter:\n  method: full\n"));
        Assert.Equal(ConfigErrorCodes.InvalidChoice, d.Code);
        var names = string.Join(", ", AdapterRegistry.Methods.Select(m => m.Name));
        Assert.Equal($"adapter.method must be one of none, {names} (got 'full')", d.Message);
    }

    [Theory]
    [InlineData("lora_r", "adapter.r")]
    [InlineData("alpha", "adapter.lora_alpha")]
    [InlineData("dropout", "adapter.lora_dropout")]
    [InlineData("lora_target_modules", "adapter.target_modules")]
    public void OtherToolsNames_SuggestThePeftKey(string key, string suggestion)
    {
        var d = ConfigTestFiles.SingleError(_files.Write("a.yaml", $"adapter:\n  {key}: 8\n"));
        Assert.Equal(ConfigErrorCodes.UnknownKey, d.Code);
        Assert.Contains($"did you mean '{suggestion}'?", d.Message, StringComparison.Ordinal);
    }

    private string MethodFile(string method, string keys) =>
        _files.Write($"{method}.yaml", $"adapter:\n  method: {method}\n  target_modules: all-linear\n{keys}");

    [Fact]
    public void LoraXsKeys_Load_AndMapOntoLoraXsOptions()
    {
        var config = ConfigTestFiles.Valid(MethodFile("lora_xs", "  r: 4\n  lora_alpha: 8\n  init_std: 0.0\n  rank_pattern: {layers.0: 2}\n"));
        var o = Assert.IsType<LoraXsOptions>(AdapterConfigMapper.ToOptions(config.Adapter, config.Train.Seed));
        Assert.Equal((4, (double?)8.0, 0.0), (o.R, o.Alpha, o.InitStd));
        Assert.Equal(2, o.RankOf("layers.0"));
        Assert.Equal(2.0, o.ScalingOf(4));
    }

    [Fact]
    public void LoraXsDefaults_AreRankEight_AndScaleOne()
    {
        var config = ConfigTestFiles.Valid(MethodFile("lora_xs", ""));
        var o = Assert.IsType<LoraXsOptions>(AdapterConfigMapper.ToOptions(config.Adapter, config.Train.Seed));
        Assert.Equal((8, (double?)null, 1e-5), (o.R, o.Alpha, o.InitStd));
        Assert.Equal(1.0, o.ScalingOf(8));
    }

    [Fact]
    public void SvFitKeys_Load_AndMapOntoSvFitOptions()
    {
        var config = ConfigTestFiles.Valid(MethodFile("svfit", "  svfit_threshold: 0.9\n  svfit_criterion: sum\n"));
        var o = Assert.IsType<SvFitOptions>(AdapterConfigMapper.ToOptions(config.Adapter, config.Train.Seed));
        Assert.Equal(((int?)null, 0.9, SvFitCriterion.Sum), (o.R, o.Threshold, o.Criterion));

        var fixedRank = ConfigTestFiles.Valid(MethodFile("svfit", "  r: 3\n"));
        var f = Assert.IsType<SvFitOptions>(AdapterConfigMapper.ToOptions(fixedRank.Adapter, fixedRank.Train.Seed));
        Assert.Equal(((int?)3, 0.99, SvFitCriterion.Energy), (f.R, f.Threshold, f.Criterion));
    }

    [Fact]
    public void LoraSbKeys_Load_AndMapOntoLoraSbOptions_WithoutAnInitContext()
    {
        var config = ConfigTestFiles.Valid(MethodFile("lora_sb", "  r: 4\n  lora_sb_num_samples: 16\n"));
        var o = Assert.IsType<LoraSbOptions>(AdapterConfigMapper.ToOptions(config.Adapter, config.Train.Seed));
        Assert.Equal((4, 16), (o.R, o.NumSamples));
        Assert.Null(o.InitContext);
        var defaults = Assert.IsType<LoraSbOptions>(AdapterConfigMapper.ToOptions(ConfigTestFiles.Valid(MethodFile("lora_sb", "")).Adapter, 1));
        Assert.Equal((8, 64), (defaults.R, defaults.NumSamples));
    }

    [Fact]
    public void IntrinsicKeys_Load_AndMapOntoIntrinsicOptions_TargetAllIsTheOneElementList()
    {
        var path = _files.Write("intrinsic.yaml",
            "adapter:\n  method: intrinsic\n  target_modules: all\n  d: 40\n  projection: sparse\n  said: true\n  projection_seed: 9\n  max_projection_mb: 8\n");
        var config = ConfigTestFiles.Valid(path);
        Assert.Equal(["all"], config.Adapter.TargetModules);
        var o = Assert.IsType<IntrinsicOptions>(AdapterConfigMapper.ToOptions(config.Adapter, config.Train.Seed));
        Assert.Equal((40, IntrinsicProjectionKind.Sparse, true, (ulong?)9, 8), (o.D, o.Projection, o.Said, o.ProjectionSeed, o.MaxProjectionMb));
        var defaults = Assert.IsType<IntrinsicOptions>(AdapterConfigMapper.ToOptions(ConfigTestFiles.Valid(MethodFile("intrinsic", "")).Adapter, 3));
        Assert.Equal((1000, IntrinsicProjectionKind.Fastfood, false, 3UL), (defaults.D, defaults.Projection, defaults.Said, defaults.EffectiveProjectionSeed));
    }

    [Fact]
    public void RandLoraSeed_IsProjectionSeedOrPeftsProjectionPrngKey_NotBoth()
    {
        foreach (var key in new[] { "projection_seed", "projection_prng_key" })
        {
            var config = ConfigTestFiles.Valid(MethodFile("randlora", $"  {key}: 7\n"));
            Assert.Equal(7UL, Assert.IsType<RandLoraOptions>(AdapterConfigMapper.ToOptions(config.Adapter, 1)).ProjectionPrngKey);
        }
        var both = MethodFile("randlora", "  projection_prng_key: 7\n  projection_seed: 8\n");
        var d = ConfigTestFiles.SingleError(both);
        Assert.Equal(ConfigErrorCodes.Conflict, d.Code);
        Assert.StartsWith("adapter.projection_seed and adapter.projection_prng_key (PEFT's name) both seed RandLoRA's bases", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoraDefaults_AreRankEight_AlphaEight()
    {
        var config = ConfigTestFiles.Valid(MethodFile("lora", ""));
        var o = Assert.IsType<LoraOptions>(AdapterConfigMapper.ToOptions(config.Adapter, config.Train.Seed));
        Assert.Equal((8, 8.0), (o.R, o.Alpha));
    }

    [Theory]
    [InlineData("lora", "init_std: 0.1", "adapter.init_std", "lora_xs")]
    [InlineData("lora", "svfit_threshold: 0.5", "adapter.svfit_threshold", "svfit")]
    [InlineData("lora_xs", "lora_dropout: 0.1", "adapter.lora_dropout", "lora")]
    [InlineData("lora_xs", "use_rslora: true", "adapter.use_rslora", "lora")]
    [InlineData("lora_xs", "alpha_pattern: {layers.0: 2}", "adapter.alpha_pattern", "lora")]
    [InlineData("lora_xs", "svfit_criterion: sum", "adapter.svfit_criterion", "svfit")]
    [InlineData("svfit", "lora_alpha: 16", "adapter.lora_alpha", "lora, lora_xs")]
    [InlineData("svfit", "init_lora_weights: gaussian", "adapter.init_lora_weights", "lora")]
    [InlineData("lora_sb", "rank_pattern: {layers.0: 2}", "adapter.rank_pattern", "lora, lora_xs, svfit")]
    [InlineData("svfit", "init_std: 0.0", "adapter.init_std", "lora_xs")]
    [InlineData("lora", "lora_sb_num_samples: 8", "adapter.lora_sb_num_samples", "lora_sb")]
    [InlineData("lora_sb", "lora_alpha: 16", "adapter.lora_alpha", "lora, lora_xs")]
    [InlineData("lora_sb", "init_std: 0.0", "adapter.init_std", "lora_xs")]
    [InlineData("svfit", "r: 2\n  lora_sb_num_samples: 8", "adapter.lora_sb_num_samples", "lora_sb")]
    [InlineData("lora", "said: true", "adapter.said", "intrinsic")]
    [InlineData("svfit", "projection: dense", "adapter.projection", "intrinsic")]
    [InlineData("intrinsic", "lora_dropout: 0.1", "adapter.lora_dropout", "lora")]
    public void AKeyOfAnotherMethod_IsAConflict_NamingTheMethodsThatTakeIt(string method, string line, string key, string takers)
    {
        var d = ConfigTestFiles.SingleError(MethodFile(method, "  " + line + "\n"));
        Assert.Equal(ConfigErrorCodes.Conflict, d.Code);
        Assert.StartsWith(key, d.Message, StringComparison.Ordinal);
        Assert.StartsWith($"{key} is not valid for adapter.method {method} (at ", d.Message, StringComparison.Ordinal);
        Assert.EndsWith($"it applies to {takers}", d.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("lora")]
    [InlineData("lora_xs")]
    [InlineData("svfit")]
    [InlineData("lora_sb")]
    [InlineData("intrinsic")]
    public void EveryKeyAtItsDefault_IsValidForEveryMethod_SoTheWrittenConfigRoundTrips(string method)
    {
        var config = ConfigTestFiles.Valid(MethodFile(method, ""));
        var text = ConfigWriter.Write(config);
        Assert.Contains("init_std:", text, StringComparison.Ordinal);
        Assert.Contains("svfit_threshold:", text, StringComparison.Ordinal);
        var back = ConfigTestFiles.Valid(_files.Write("back.yaml", text));
        Assert.Equal(text, ConfigWriter.Write(back));
        Assert.Equal(AdapterConfigMapper.ToOptions(config.Adapter, 1)!.GetType(), AdapterConfigMapper.ToOptions(back.Adapter, 1)!.GetType());
    }

    [Theory]
    [InlineData("svfit", "svfit_threshold: 0.0", "adapter.svfit_threshold", ConfigErrorCodes.OutOfRange)]
    [InlineData("svfit", "svfit_threshold: 1.5", "adapter.svfit_threshold", ConfigErrorCodes.OutOfRange)]
    [InlineData("svfit", "svfit_criterion: entropy", "adapter.svfit_criterion", ConfigErrorCodes.InvalidChoice)]
    [InlineData("lora_xs", "init_std: -1.0", "adapter.init_std", ConfigErrorCodes.OutOfRange)]
    [InlineData("lora_xs", "r: 0", "adapter.r", ConfigErrorCodes.OutOfRange)]
    [InlineData("lora", "lora_alpha: 0", "adapter.lora_alpha", ConfigErrorCodes.OutOfRange)]
    [InlineData("lora_sb", "lora_sb_num_samples: 0", "adapter.lora_sb_num_samples", ConfigErrorCodes.OutOfRange)]
    [InlineData("intrinsic", "d: 0", "adapter.d", ConfigErrorCodes.OutOfRange)]
    [InlineData("intrinsic", "projection: gaussian", "adapter.projection", ConfigErrorCodes.InvalidChoice)]
    [InlineData("intrinsic", "max_projection_mb: -1", "adapter.max_projection_mb", ConfigErrorCodes.OutOfRange)]
    public void MethodKeys_OutOfRange_AreRejected(string method, string line, string key, string code)
    {
        var d = ConfigTestFiles.SingleError(MethodFile(method, "  " + line + "\n"));
        Assert.Equal(code, d.Code);
        Assert.StartsWith(key, d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheMapperTable_CoversEveryRegisteredMethod()
    {
        foreach (var method in AdapterRegistry.Methods)
        {
            Assert.NotEmpty(AdapterConfigMapper.KeysOf(method.Name));
        }
        Assert.Empty(AdapterConfigMapper.KeysOf(AdapterConfigMapper.None));
    }
}
