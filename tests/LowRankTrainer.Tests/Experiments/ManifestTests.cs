using LowRankTrainer.Experiments;

namespace LowRankTrainer.Tests.Experiments;

public sealed class ManifestTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "lrt-manifest-" + Guid.NewGuid().ToString("N"), "exp-one");

    public ManifestTests()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "configs"));
        File.WriteAllText(Path.Combine(_dir, "configs", "a.yaml"), "model:\n  name: mlp\n");
    }

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(_dir)!, recursive: true);

    private ExperimentManifest Read(string yaml)
    {
        File.WriteAllText(Path.Combine(_dir, ExperimentManifest.FileName), yaml);
        return ManifestReader.Read(_dir);
    }

    private const string Valid = """
        title: T
        paper: P
        names: {lora: LoRA}
        quick:
          set: {train.max_steps: 5}
          grid: {train.seed: [1]}
        groups:
          - name: pretrain
            config: configs/a.yaml
            set: {checkpoint.save_strategy: "no", model.hidden_sizes: [8, 8]}
          - name: adapt
            config: configs/a.yaml
            inputs: {model.pretrained: pretrain}
            grid:
              adapter.r: [2, 4]
              train.seed: [1, 2, 3]
              model.hidden_sizes: [[8], [8, 8]]
            quick:
              grid: {adapter.r: [2]}
          - name: extra
            config: configs/a.yaml
            quick: {skip: true}
          - name: zipped
            config: configs/a.yaml
            zip: {adapter.r: [1, 2, 4], adapter.lora_alpha: [2, 4, 8]}
            grid: {train.seed: [1, 2]}
        tables:
          - name: acc
            rows: [group, adapter.r]
            best: {key: train.learning_rate, by: eval_accuracy}
            columns:
              - {metric: eval_accuracy, label: acc, scale: 100, digits: 2}
        plots:
          - name: acc_vs_r
            x: adapter.r
            y: eval_accuracy
            series: [group]
            log_x: true
            references:
              - {label: full, groups: [pretrain], fraction: 0.9}
        """;

    [Fact]
    public void Read_ParsesGroupsTablesAndPlots()
    {
        var m = Read(Valid);
        Assert.Equal("exp-one", m.Name);
        Assert.Equal(["pretrain", "adapt", "extra", "zipped"], m.Groups.Select(g => g.Name));
        Assert.Equal(["checkpoint.save_strategy=\"no\"", "model.hidden_sizes=[8, 8]"], m.Groups[0].Set);
        Assert.Equal(["adapter.r=[2, 4]", "train.seed=[1, 2, 3]", "model.hidden_sizes=[[8], [8, 8]]"], m.Groups[1].Grid);
        Assert.Equal("pretrain", m.Groups[1].Inputs["model.pretrained"]);
        Assert.True(m.Groups[2].QuickSkip);
        var table = Assert.Single(m.Tables);
        Assert.Equal(new BestSpec("train.learning_rate", "eval_accuracy", true), table.Best);
        Assert.Equal(100, Assert.Single(table.Columns).Scale);
        var plot = Assert.Single(m.Plots);
        Assert.True(plot.LogX);
        Assert.Equal(["pretrain"], Assert.Single(plot.References!).Runs!.Groups);
    }

    [Fact]
    public void Plan_FullIsTheGrid_QuickReplacesAxesAndSkipsGroups()
    {
        var m = Read(Valid);
        var full = PlannedRun.Plan(m, quick: false);
        Assert.Equal(1 + 2 * 3 * 2 + 1 + 3 * 2, full.Count);
        var zipped = full.Where(r => r.Group.Name == "zipped").ToList();
        Assert.Equal("adapter.r-1_adapter.lora_alpha-2_train.seed-1", zipped[0].Name);
        Assert.Equal(["adapter.r=4", "adapter.lora_alpha=8", "train.seed=2"], zipped[^1].Overrides);
        Assert.Equal("base", full[0].Name);
        Assert.Equal("adapter.r-2_train.seed-1_model.hidden_sizes-8", full[1].Name);
        Assert.Equal(["adapter.r=2", "model.hidden_sizes=[8]", "train.seed=1"], full[1].Overrides.Where(o => !o.StartsWith("checkpoint", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        var quick = PlannedRun.Plan(m, quick: true);
        Assert.Equal(["pretrain/base", "adapt/adapter.r-2_train.seed-1_model.hidden_sizes-8", "adapt/adapter.r-2_train.seed-1_model.hidden_sizes-8-8",
                "zipped/adapter.r-1_adapter.lora_alpha-2_train.seed-1"],
            quick.Select(r => r.Group.Name + "/" + r.Name));
        Assert.Contains("train.max_steps=5", quick[0].Overrides);
    }

    [Theory]
    [InlineData("groups:\n  - name: a\n    config: configs/a.yaml\n    gird: {x: [1]}\n", "(4,5): unknown key 'gird' in a group (did you mean 'grid'?)")]
    [InlineData("groups:\n  - name: a\n    config: configs/missing.yaml\n", "config configs/missing.yaml does not exist")]
    [InlineData("groups:\n  - name: a\n    config: configs/a.yaml\n    inputs: {model.pretrained: b}\n", "inputs.model.pretrained names 'b', which is not an earlier group")]
    [InlineData("groups:\n  - name: a b\n    config: configs/a.yaml\n", "group name 'a b' must be letters")]
    [InlineData("groups:\n  - name: a\n    config: configs/a.yaml\n    grid: {x: 3}\n", "grid.x must be a non-empty list")]
    [InlineData("groups:\n  - name: a\n    config: configs/a.yaml\ntables:\n  - name: t\n    groups: [zz]\n    columns: [{metric: m}]\n", "table t: 'zz' is not a group")]
    [InlineData("groups:\n  - name: a\n    config: configs/a.yaml\ntables:\n  - name: t\n    x: d\n    metric: m\n    thresholds: [{label: l}]\n", "a threshold has either value (absolute) or baseline (groups), not neither")]
    [InlineData("title: [x\n", "exp-one")]
    [InlineData("groups:\n  - name: a\n    config: configs/a.yaml\n    zip: {x: [1, 2], y: [1]}\n", "the zip lists must have one length")]
    public void Read_BadManifest_NamesFileLineAndKey(string yaml, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => Read(yaml));
        Assert.Contains(Path.Combine(_dir, ExperimentManifest.FileName), e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }
}
