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
