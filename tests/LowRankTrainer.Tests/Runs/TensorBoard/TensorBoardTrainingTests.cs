using System.Text.Json.Nodes;
using LowRankTrainer.Config;
using LowRankTrainer.Runs.TensorBoard;
using LowRankTrainer.Tests.Training;

namespace LowRankTrainer.Tests.Runs.TensorBoard;

/// <summary>
/// A tiny training with <c>logging.report_to: [tensorboard]</c>, read back by the independent Python reader: every number
/// of metrics.jsonl is in the event file at its step, float32-rounded, under HF's tag; a resumed run's file holds the
/// whole curve.
/// </summary>
public sealed class TensorBoardTrainingTests
{
    private static ExperimentConfig WithTensorBoard(ExperimentConfig config) =>
        config with { Logging = config.Logging with { ReportTo = ["tensorboard"] } };

    private static string EventFile(string runDirectory) =>
        Assert.Single(Directory.GetFiles(Path.Combine(runDirectory, "tensorboard"), "events.out.tfevents.*"));

    /// <summary>
    /// (tag, step, value) of every number of metrics.jsonl, by HF's rewrite_logs rule written out here: "eval_x" →
    /// "eval/x", any other key → "train/key"; "split" and "step" are not values; a mapping gives "tag/key" per entry.
    /// </summary>
    private static List<(string Tag, long Step, double Value)> Expected(string runDirectory)
    {
        var triples = new List<(string, long, double)>();
        foreach (var line in File.ReadAllLines(Path.Combine(runDirectory, "metrics.jsonl")))
        {
            var entry = JsonNode.Parse(line)!.AsObject();
            var step = entry["step"]!.GetValue<long>();
            foreach (var (key, node) in entry)
            {
                if (key is "split" or "step") continue;
                var tag = key.StartsWith("eval_", StringComparison.Ordinal) ? "eval/" + key[5..] : "train/" + key;
                if (node is JsonObject map)
                {
                    foreach (var (sub, v) in map) triples.Add(($"{tag}/{sub}", step, (float)v!.GetValue<double>()));
                }
                else
                {
                    triples.Add((tag, step, (float)node!.GetValue<double>()));
                }
            }
        }
        return triples;
    }

    private static List<(string Tag, long Step, double Value)> Decoded(DecodedEventFile file) =>
        [.. file.Events.Skip(1).SelectMany(e => e.Values.Select(v => (v.Tag, e.Step, v.Value)))];

    [Theory]
    [InlineData("classification")]
    [InlineData("mrl")]
    public void EventFile_HoldsEveryLoggedNumber_AtItsStep(string scenario)
    {
        using var tiny = new TinyRun();
        var config = WithTensorBoard(tiny.Config());
        if (scenario == "mrl") config = config with { Loss = new LossConfig { Type = "mrl", Matryoshka = new MatryoshkaConfig { Dims = [4, 16, 32] } } };
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
        var result = tiny.Run(config);
        var after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;

        var file = EventFileReader.Read(EventFile(result.RunDirectory));
        Assert.Equal(0, file.TruncatedBytes);
        Assert.Equal(TensorBoardEvent.FileVersion, file.Events[0].FileVersion);
        Assert.All(file.Events.Skip(1), e => Assert.Null(e.FileVersion));
        Assert.All(file.Events, e => Assert.InRange(e.WallTime, before - 1, after + 1));
        var lines = File.ReadAllLines(Path.Combine(result.RunDirectory, "metrics.jsonl"));
        Assert.Equal(1 + lines.Length, file.Records);   // the header, then one event per logged entry

        var decoded = Decoded(file);
        Assert.Equal(Expected(result.RunDirectory), decoded);
        var tags = decoded.Select(t => t.Tag).ToHashSet();
        Assert.Superset(new HashSet<string> { "train/loss", "train/learning_rate", "train/grad_norm", "train/epoch", "eval/loss", "eval/accuracy" }, tags);
        if (scenario == "mrl") Assert.Superset(new HashSet<string> { "eval/accuracy_by_dim/4", "eval/accuracy_by_dim/16", "eval/accuracy_by_dim/32" }, tags);
        else Assert.Contains("eval/f1", tags);
        Assert.Equal(Enumerable.Range(1, 20).Select(s => (long)s), decoded.Where(t => t.Tag == "train/loss").Select(t => t.Step));
    }

    [Fact]
    public void ResumedRun_ReplaysItsHistory_IntoTheNewFile()
    {
        using var tiny = new TinyRun();
        var config = WithTensorBoard(tiny.Config());
        var stopped = tiny.RunUntil(config with { Train = config.Train with { OutputDir = Path.Combine(tiny.Root, "b") } }, 10);
        var first = EventFileReader.Read(EventFile(stopped.RunDirectory));
        Assert.Equal(10, first.Events.Where(e => e.Values.Any(v => v.Tag == "train/loss")).Max(e => e.Step));

        var checkpoint = Path.Combine(stopped.RunDirectory, "checkpoints", "step-000010");
        var resumed = tiny.Run(config with { Train = config.Train with { OutputDir = Path.Combine(tiny.Root, "c"), ResumeFromCheckpoint = checkpoint } });
        var file = EventFileReader.Read(EventFile(resumed.RunDirectory));
        var decoded = Decoded(file);
        Assert.Equal(Expected(resumed.RunDirectory), decoded);
        Assert.Equal(Enumerable.Range(1, 20).Select(s => (long)s), decoded.Where(t => t.Tag == "train/loss").Select(t => t.Step));
        // Steps 1–10 are the stopped run's own numbers, replayed.
        Assert.Equal(Decoded(first).Where(t => t.Tag == "train/loss"), decoded.Where(t => t.Tag == "train/loss" && t.Step <= 10));
    }

    [Fact]
    public void ReportToNone_WritesNoEventFile()
    {
        using var tiny = new TinyRun();
        var result = tiny.Run(tiny.Config() with { Logging = new LoggingConfig { LoggingSteps = 5, ReportTo = ["none"] } });
        Assert.False(Directory.Exists(Path.Combine(result.RunDirectory, "tensorboard")));
    }
}
