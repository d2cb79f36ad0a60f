using LowRankTrainer.Config;
using LowRankTrainer.Data.Text;
using LowRankTrainer.Tests.Checkpoints;
using LowRankTrainer.Tests.Data.Text;
using LowRankTrainer.Torch;
using LowRankTrainer.Training;

namespace LowRankTrainer.Tests.Training;

/// <summary>
/// <c>data.dataset: brown_pairs</c> on the real Brown corpus with the experiment's 8,192-id BPE tokenizer
/// (experiments/gpt2_brown_spam/tokenizer/): the document split, the span layout, the caps, and a few training
/// steps of a tiny BERT through the config path.
/// </summary>
[Collection(CorpusTests.Name)]
public sealed class BrownPairsEndToEndTests : IDisposable
{
    private const int Pad = 8191;

    private readonly string _root = Directory.CreateTempSubdirectory("lrt-brown-pairs-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static string Tokenizer => Path.Combine(SafetensorsTestFiles.RepositoryRoot(), "experiments", "gpt2_brown_spam", "tokenizer", "tokenizer.json");

    [BrownFact]
    public void Load_SplitsByDocument_CutsFullLengthSpans_AndCapsBothSides()
    {
        var config = new DataConfig { Dataset = "brown_pairs", Tokenizer = Tokenizer, PadTokenId = Pad, MaxLength = 32 };
        using (var data = TrainingData.Load(config, new LossConfig { Type = "mnrl" }))
        using (var scope = new DisposeScope())
        {
            var trainDocs = data.Train.Targets.ToArray<long>().ToHashSet();
            var evalDocs = data.Eval!.Targets.ToArray<long>().ToHashSet();
            // 500 documents, 20 % of each genre held out (round(n × 0.2) per genre sums to 100).
            Assert.Equal((400, 100), (trainDocs.Count, evalDocs.Count));
            Assert.Empty(trainDocs.Intersect(evalDocs));
            Assert.Equal(Pad, data.PadTokenId);
            // Every text is a full 32-token span (no special tokens with a byte-level BPE), so nothing is padded.
            Assert.Equal([data.Train.Count, 2L, 32], data.Train.Inputs.Shape);
            Assert.Equal(0L, data.Train.Inputs.Eq(Pad).Sum().ToInt64());
            // A Brown document of ~2,000 words gives ~2,500 tokens, ~39 pairs of 2 × 32 tokens.
            Assert.InRange(data.Train.Count / 400.0, 30, 50);
            // Round-robin: the first 100 evaluation pairs come from the 100 evaluation documents, one each.
            Assert.Equal(100, data.Eval.Targets.Narrow(0, 0, 100).ToArray<long>().Distinct().Count());
            // The anchor and positive of a pair are consecutive text: decoding both gives one stretch of the document.
            var tokenizer = LowRankTrainer.Tokenizers.TokenizerFiles.Load(Tokenizer);
            var row = data.Eval.Inputs[0].ToArray<long>().Select(i => (int)i).ToArray();
            var document = BrownCorpus.ReadAll()[(int)data.Eval.Targets[0].ToInt64()];
            Assert.StartsWith(tokenizer.Decode(row), document.Text, StringComparison.Ordinal);
        }

        using var capped = TrainingData.Load(config with { MaxSamples = 300, MaxEvalSamples = 50 }, new LossConfig { Type = "mnrl" });
        Assert.Equal((300L, 50L), (capped.Train.Count, capped.Eval!.Count));
    }

    [BrownFact]
    public void TinyBert_TrainsOnBrownPairs_ThroughTheConfig()
    {
        var hfConfig = Path.Combine(_root, "bert.json");
        File.WriteAllText(hfConfig, """{"model_type": "bert", "vocab_size": 8192, "hidden_size": 16, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 32, "max_position_embeddings": 32}""");
        var config = new ExperimentConfig
        {
            Name = "brown_pairs",
            Model = new ModelConfig { Name = "bert", HfConfig = hfConfig },
            Data = new DataConfig { Dataset = "brown_pairs", Tokenizer = Tokenizer, PadTokenId = Pad, MaxLength = 16, MaxSamples = 64, MaxEvalSamples = 40 },
            Loss = new LossConfig { Type = "starbucks", Starbucks = new StarbucksConfig { Layers = [1, 2], Dims = [8, 16] } },
            Train = new TrainConfig { OutputDir = Path.Combine(_root, "runs"), MaxSteps = 3, PerDeviceTrainBatchSize = 16, LearningRate = 1e-3, Seed = 1, NumThreads = 1 },
            Eval = new EvalConfig { EvalStrategy = "steps", EvalSteps = 1000, PerDeviceEvalBatchSize = 16 },
            Checkpoint = new CheckpointConfig { SaveStrategy = "no" },
            Logging = new LoggingConfig { LoggingSteps = 1 },
        };
        var result = new Trainer(config, "name: brown_pairs\n", TextWriter.Null, new TrainerOptions { Interactive = false }).Run();
        Assert.Equal("success", result.Summary.Status);
        Assert.Equal(["1:2", "1:4", "1:8", "1:16", "2:2", "2:4", "2:8", "2:16"], result.Summary.EvalAccuracyByLayerDim!.Keys.Order(StringComparer.Ordinal).ToArray().OrderBy(k => k[0]).ThenBy(k => int.Parse(k[2..], System.Globalization.CultureInfo.InvariantCulture)));
        // Accuracies are hit counts over the 40 capped evaluation pairs.
        Assert.All(result.Summary.EvalAccuracyByLayerDim!.Values, v => Assert.Equal(0.0, (v * 40) - Math.Round(v * 40), 9));
        Assert.True(File.Exists(Path.Combine(result.RunDirectory, "final", "config.json")));
    }
}
