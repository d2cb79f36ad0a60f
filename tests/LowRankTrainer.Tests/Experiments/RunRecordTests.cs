using LowRankTrainer.Experiments;

namespace LowRankTrainer.Tests.Experiments;

public sealed class RunRecordTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "lrt-record-" + Guid.NewGuid().ToString("N"));

    public RunRecordTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("1e-3", "0.001")]
    [InlineData("0.001", "0.001")]
    [InlineData("500", "500")]
    [InlineData("1.0", "1")]
    [InlineData("[200,200]", "[200, 200]")]
    [InlineData("[ 1e-2 , 3 ]", "[0.01, 3]")]
    [InlineData("\"no\"", "no")]
    [InlineData("fastfood", "fastfood")]
    [InlineData("e5", "e5")]
    [InlineData("[[1, 2], [3]]", "[[1, 2], [3]]")]
    public void Canonical_WritesEqualValuesAlike(string text, string expected) => Assert.Equal(expected, RunRecord.Canonical(text));

    [Fact]
    public void Load_FlattensConfigAndSummary()
    {
        File.WriteAllText(Path.Combine(_dir, "summary.json"), """
            {"status": "success", "run_name": "x", "eval_accuracy": 0.75, "num_trainable_params": 100,
             "eval_accuracy_by_dim": {"8": 0.5, "16": 0.6}, "error_msg": null}
            """);
        File.WriteAllText(Path.Combine(_dir, "config.yaml"), """
            name: test
            model:
              name: mlp
              hidden_sizes: [200, 200]
            adapter:
              d: 1000
              rank_pattern: {a: 2}
            train:
              learning_rate: 1e-3
            loss:
              matryoshka:
                dims: [8, 16]
            """);
        var record = RunRecord.Load(_dir, "grp", "run1");
        Assert.Equal("success", record.Status);
        Assert.Equal(0.75, record.Metric("eval_accuracy"));
        Assert.Equal(100, record.Metric("num_trainable_params"));
        Assert.Equal(0.6, record.Metric("eval_accuracy_by_dim.16"));
        Assert.Null(record.Metric("error_msg"));
        Assert.Equal("[200, 200]", record.Value("model.hidden_sizes"));
        Assert.Equal("1000", record.Value("adapter.d"));
        Assert.Equal("{a: 2}", record.Value("adapter.rank_pattern"));
        Assert.Equal("0.001", record.Value("train.learning_rate"));
        Assert.Equal("[8, 16]", record.Value("loss.matryoshka.dims"));
        Assert.Equal("grp", record.Value(RunRecord.GroupKey));
        Assert.Equal("run1", record.Value(RunRecord.RunKey));
    }

    [Fact]
    public void Load_MalformedSummary_NamesTheFile()
    {
        File.WriteAllText(Path.Combine(_dir, "summary.json"), "{ not json");
        var e = Assert.Throws<InvalidDataException>(() => RunRecord.Load(_dir));
        Assert.Contains(Path.Combine(_dir, "summary.json"), e.Message, StringComparison.Ordinal);
    }
}
