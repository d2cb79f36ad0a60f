using LowRankTrainer.Checkpoints.Safetensors;
using LowRankTrainer.Models.Transformers;
using LowRankTrainer.Tests.Checkpoints;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Tests.Models.Transformers;

/// <summary>
/// Runs a checkpoint written by tools/fixtures/make_{gpt2,bert,llama}_fixture.py (an HF folder built by hand plus
/// expected.safetensors with input_ids and the reference logits): loads it through <see cref="PretrainedTransformer.Load"/>
/// and returns the model's logits beside the expected ones.
/// </summary>
internal static class TransformerFixture
{
    public static string Folder(string name) => Path.Combine(SafetensorsTestFiles.RepositoryRoot(), "tests", "fixtures", "transformers", name);

    /// <summary>The largest |logits − reference| of fixture <paramref name="name"/>, in eval mode.</summary>
    public static double MaxLogitDiff(string name)
    {
        var folder = Folder(name);
        using var g = new Generator(0);
        var (model, report) = PretrainedTransformer.Load(folder, task: null, labels: null, g);
        using (model)
        {
            Assert.Empty(report.NewKeys);
            model.Eval();
            var expected = SafetensorsFile.ReadAll(Path.Combine(folder, "expected.safetensors"));
            try
            {
                using var scope = new DisposeScope();
                var logits = model.Forward(expected["input_ids"]);
                Assert.Equal(expected["logits"].Shape, logits.Shape);
                return MaxAbsDiff(expected["logits"], logits);
            }
            finally
            {
                foreach (var t in expected.Values) t.Dispose();
            }
        }
    }

    public static double MaxAbsDiff(Tensor a, Tensor b)
    {
        using var d = a.Sub(b);
        using var abs = d.Abs();
        using var max = abs.Max();
        return max.ToDouble();
    }
}
