using LowRankTrainer.Runs;

namespace LowRankTrainer.Tests.Runs;

public class SweepPlanTests
{
    [Fact]
    public void Parse_BracketedScalarKeysAreAxes_PlainTokensAndSingleListsForListKeysAreOverrides()
    {
        var plan = SweepPlan.Parse(["adapter.d=[50, 100,200]", "train.learning_rate=1e-2", "model.hidden_sizes=[200,200]", "train.seed=[1,2]"]);
        Assert.Equal(["train.learning_rate=1e-2", "model.hidden_sizes=[200,200]"], plan.Overrides);
        Assert.Equal(2, plan.Axes.Count);
        Assert.Equal("adapter.d", plan.Axes[0].Key);
        Assert.Equal(["50", "100", "200"], plan.Axes[0].Values);
        Assert.Equal(["1", "2"], plan.Axes[1].Values);
    }

    [Fact]
    public void Parse_AListOfListsSweepsAListKey_KeepingNestedListsAndQuotedCommasWhole()
    {
        var plan = SweepPlan.Parse(["model.hidden_sizes=[[200], [200, 200]]", "train.run_name=['a,b', \"c\"]"]);
        Assert.Empty(plan.Overrides);
        Assert.Equal(["[200]", "[200, 200]"], plan.Axes[0].Values);
        Assert.Equal(["'a,b'", "\"c\""], plan.Axes[1].Values);
    }

    [Fact]
    public void Combinations_AreTheGrid_LastAxisFastest()
    {
        var plan = SweepPlan.Parse(["a.x=[1,2,3]", "b.y=[p,q]"]);
        var combos = plan.Combinations().Select(c => string.Join(" ", c.Select(kv => $"{kv.Key}={kv.Value}"))).ToList();
        Assert.Equal(["a.x=1 b.y=p", "a.x=1 b.y=q", "a.x=2 b.y=p", "a.x=2 b.y=q", "a.x=3 b.y=p", "a.x=3 b.y=q"], combos);
        Assert.Single(SweepPlan.Parse(["train.seed=3"]).Combinations());
    }

    [Fact]
    public void RunName_IsFolderSafe()
    {
        Assert.Equal("adapter.d-100_model.hidden_sizes-200-200", SweepPlan.RunName([("adapter.d", "100"), ("model.hidden_sizes", "[200, 200]")]));
        Assert.Equal("base", SweepPlan.RunName([]));
    }

    [Theory]
    [InlineData("adapter.d", "is not key=value")]
    [InlineData("adapter.d=[]", "sweeps over no values")]
    [InlineData("adapter.d=[1,,2]", "empty value")]
    [InlineData("adapter.d=[[1,2]", "unbalanced")]
    public void Parse_BadTokens_SayWhatIsWrong(string token, string expected)
    {
        var ex = Assert.Throws<ArgumentException>(() => SweepPlan.Parse([token]));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_AKeySweptTwice_IsRefused()
    {
        var ex = Assert.Throws<ArgumentException>(() => SweepPlan.Parse(["train.seed=[1]", "train.seed=[2]"]));
        Assert.Contains("swept twice", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Table_MarkdownAndCsv_HoldOneRowPerRun_WithTheSummaryFields()
    {
        var ok = new RunSummary { Status = "success", EvalAccuracy = 0.875, EvalLoss = 0.4, TrainLoss = 0.5, NumTrainableParams = 100, GlobalStep = 469, TrainRuntime = 12.5 };
        SweepRow[] rows = [new([("adapter.d", "100")], ok, "runs/x,y"), new([("adapter.d", "200")], null, null)];
        var md = SweepTable.Markdown(["adapter.d"], rows).Split('\n');
        Assert.Equal("| adapter.d | status | eval_accuracy | eval_loss | train_loss | num_trainable_params | global_step | train_runtime | run_dir |", md[0]);
        Assert.Equal("| 100 | success | 0.875 | 0.4 | 0.5 | 100 | 469 | 12.5 | runs/x,y |", md[2]);
        Assert.Equal("| 200 | failed |  |  |  |  |  |  |  |", md[3]);
        var csv = SweepTable.Csv(["adapter.d"], rows).Split('\n');
        Assert.Equal("100,success,0.875,0.4,0.5,100,469,12.5,\"runs/x,y\"", csv[1]);
        Assert.Equal("200,failed,,,,,,,", csv[2]);
    }
}
