using LowRankTrainer.Adapters;
using LowRankTrainer.Adapters.Lora;

namespace LowRankTrainer.Tests.Adapters;

public class TargetSelectorTests
{
    private static string[] Names(LoraOptions options)
    {
        using var model = AdapterTestModels.Toy();
        return TargetSelector.Select(model, options).Select(t => t.Name).ToArray();
    }

    [Fact]
    public void Select_SuffixList_MatchesAtDotBoundaryOnly()
    {
        Assert.Equal(["blocks.0.q_proj", "blocks.1.q_proj"], Names(new LoraOptions { TargetModules = ["q_proj"] }));
        Assert.Equal(["blocks.1.v_proj"], Names(new LoraOptions { TargetModules = ["1.v_proj"] }));
        // "proj" is not a dotted suffix of "q_proj": PEFT's rule is key == t or key.endswith("." + t).
        Assert.Throws<ArgumentException>(() => Names(new LoraOptions { TargetModules = ["proj"] }));
    }

    [Fact]
    public void Select_AllLinear_SkipsTheHead()
    {
        Assert.Equal(["blocks.0.q_proj", "blocks.0.v_proj", "blocks.1.q_proj", "blocks.1.v_proj", "fc1"],
                     Names(new LoraOptions { TargetModules = [TargetSelector.AllLinear] }));
    }

    [Fact]
    public void Select_Regex_MustMatchTheWholeName()
    {
        Assert.Equal(["blocks.1.q_proj", "blocks.1.v_proj"], Names(new LoraOptions { TargetRegex = @"blocks\.1\..*" }));
        Assert.Throws<ArgumentException>(() => Names(new LoraOptions { TargetRegex = "q_proj" }));
    }

    [Fact]
    public void Select_ExcludeAndModulesToSave_AreNeverAdapted()
    {
        Assert.Equal(["blocks.1.q_proj", "fc1"],
                     Names(new LoraOptions { TargetModules = [TargetSelector.AllLinear], ExcludeModules = ["v_proj", "blocks.0.q_proj"] }));
        Assert.Equal(["blocks.0.q_proj", "blocks.0.v_proj", "fc1"],
                     Names(new LoraOptions { TargetModules = ["q_proj", "v_proj", "fc1"], ModulesToSave = ["blocks.1"] }));
    }

    [Fact]
    public void Select_NothingMatches_ErrorListsTheModelsModules()
    {
        var e = Assert.Throws<ArgumentException>(() => Names(new LoraOptions { TargetModules = ["query", "value"] }));
        Assert.Contains("matched no Linear layer", e.Message, StringComparison.Ordinal);
        Assert.Contains("[query, value]", e.Message, StringComparison.Ordinal);
        Assert.Contains("blocks.0.q_proj (Linear)", e.Message, StringComparison.Ordinal);
        Assert.Contains("classifier (Linear)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Select_NonLinearTarget_IsAnError()
    {
        var e = Assert.Throws<ArgumentException>(() => Names(new LoraOptions { TargetModules = ["blocks"] }));
        Assert.Contains("only Linear layers", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Select_ExcludeRegex_MustMatchTheWholeName()
    {
        Assert.Equal(["blocks.1.q_proj", "fc1"],
                     Names(new LoraOptions { TargetModules = [TargetSelector.AllLinear], ExcludeRegex = @"blocks\.0\..*|.*v_proj" }));
        // Not a search: "v_proj" alone matches no whole name, so nothing is excluded.
        Assert.Equal(5, Names(new LoraOptions { TargetModules = [TargetSelector.AllLinear], ExcludeRegex = "v_proj" }).Length);
        Assert.Throws<ArgumentException>(() => Names(new LoraOptions { TargetModules = ["q_proj"], ExcludeModules = ["fc1"], ExcludeRegex = "fc1" }));
    }

    [Theory]
    [InlineData(new[] { 1 }, new string[0], new[] { "blocks.1.q_proj", "blocks.1.v_proj" })]
    [InlineData(new[] { 0, 1 }, new[] { "blocks" }, new[] { "blocks.0.q_proj", "blocks.0.v_proj", "blocks.1.q_proj", "blocks.1.v_proj" })]
    [InlineData(new[] { 0 }, new[] { "layers", "blocks" }, new[] { "blocks.0.q_proj", "blocks.0.v_proj" })]
    public void Select_LayersToTransform_KeepsListMatchesInThoseLayers(int[] layers, string[] pattern, string[] expected)
    {
        // fc1 has no "<pattern>.N." segment, so a layer filter drops it (PEFT: layer_index is None → not a target).
        Assert.Equal(expected, Names(new LoraOptions { TargetModules = ["q_proj", "v_proj", "fc1"], LayersToTransform = layers, LayersPattern = pattern }));
    }

    [Fact]
    public void Select_LayersToTransform_MatchingNothing_SaysSo_AndRefusesARegex()
    {
        var e = Assert.Throws<ArgumentException>(() => Names(new LoraOptions { TargetModules = ["q_proj"], LayersToTransform = [5], LayersPattern = ["blocks"] }));
        Assert.Contains("target_modules [q_proj] in layers_to_transform [5] of layers_pattern [blocks] matched no Linear layer", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Names(new LoraOptions { TargetRegex = ".*q_proj", LayersToTransform = [0] }));
    }

    [Theory]
    [InlineData("model.layers.3.self_attn.q_proj", new string[0], 3)]     // PEFT's default: any "<name>.N." segment
    [InlineData("model.layers.3.mlp.experts.7.up_proj", new[] { "layers" }, 3)]
    [InlineData("model.layers.3.mlp.experts.7.up_proj", new string[0], 7)] // greedy: the last segment, as PEFT's .*
    [InlineData("h.11.attn.c_attn", new[] { "h" }, 11)]                   // top level (PEFT needs a prefix; we do not)
    [InlineData("fc1", new string[0], null)]
    public void LayerIndex_FollowsPeftsRegex(string name, string[] pattern, int? expected) =>
        Assert.Equal(expected, TargetSelector.LayerIndex(name, pattern));

    [Fact]
    public void Select_ListAndRegexTogether_IsAnError() =>
        Assert.Throws<ArgumentException>(() => Names(new LoraOptions { TargetModules = ["q_proj"], TargetRegex = ".*" }));

    [Fact]
    public void Inject_Twice_IsAnError()
    {
        using var model = AdapterTestModels.Toy();
        AdapterModel.Inject(model, new LoraOptions { TargetModules = ["fc1"] });
        Assert.Throws<ArgumentException>(() => AdapterModel.Inject(model, new LoraOptions { TargetModules = ["q_proj"] }));
    }

    [Fact]
    public void Inject_InvalidOptions_LeaveTheModelUntouched()
    {
        using var model = AdapterTestModels.Toy();
        Assert.Throws<ArgumentOutOfRangeException>(() => AdapterModel.Inject(model, new LoraOptions { TargetModules = ["fc1"], Dropout = 1 }));
        Assert.All(model.NamedParameters(), p => Assert.True(p.Parameter.RequiresGrad, p.Name));
        Assert.DoesNotContain(model.NamedModules(), m => m.Module is AdapterLayer);
    }

    [Fact]
    public void Inject_UnknownModuleToSave_ErrorListsModules()
    {
        using var model = AdapterTestModels.Toy();
        var e = Assert.Throws<ArgumentException>(() => AdapterModel.Inject(model, new LoraOptions { TargetModules = ["fc1"], ModulesToSave = ["head"] }));
        Assert.Contains("classifier", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("blocks.0.v_proj", 16)]
    [InlineData("blocks.1.q_proj", 2)]
    [InlineData("fc1", 8)]
    public void PatternLookup_FirstKeyMatchingASuffix_Wins(string module, int expected)
    {
        var pattern = new Dictionary<string, int> { ["v_proj"] = 16, [@"blocks\.1\..*"] = 2, ["q_proj"] = 4 };
        Assert.Equal(expected, PatternLookup.Resolve(pattern, module, 8));
    }
}
