using LowRankTrainer.Adapters;
using LowRankTrainer.Checkpoints.Safetensors;
using LowRankTrainer.Models;
using LowRankTrainer.Tests.Checkpoints;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;
using static LowRankTrainer.Tests.Adapters.AdapterTestHelpers;

namespace LowRankTrainer.Tests.Adapters;

/// <summary>
/// Runs an adapter fixture written by a tools/fixtures/make_*_fixture.py script (python3-torch): loads base.safetensors
/// into a fresh Mlp, the adapter folder through <see cref="AdapterCheckpoint.Load"/>, then forward, cross-entropy and
/// backward in fp32, and returns the largest |Δ| against the fixture's logits, loss and every gradient (whose names
/// must be exactly the model's parameters that got one).
/// </summary>
internal static class AdapterReferenceFixture
{
    public static string Folder(string name) => Path.Combine(SafetensorsTestFiles.RepositoryRoot(), "tests", "fixtures", "adapters", name);

    /// <summary>A fresh Mlp holding the fixture's base.safetensors.</summary>
    public static Mlp BaseModel(string folder, long inputs, int[] hidden, long classes)
    {
        using var g = new Generator(1);
        var model = new Mlp(inputs, hidden, classes, 0, g);
        var weights = SafetensorsFile.ReadAll(Path.Combine(folder, "base.safetensors"));
        try
        {
            model.LoadStateDict(weights);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
        finally
        {
            foreach (var t in weights.Values) t.Dispose();
        }
    }

    public static IReadOnlyList<(string What, double MaxAbsDiff)> Compare(string name, long inputs, int[] hidden, long classes)
    {
        var folder = Folder(name);
        using var model = BaseModel(folder, inputs, hidden, classes);
        var adapted = AdapterCheckpoint.Load(model, folder);
        model.Eval();
        var expected = SafetensorsFile.ReadAll(Path.Combine(folder, "expected.safetensors"));
        try
        {
            using var scope = new DisposeScope();
            var logits = model.Forward(expected["x"]);
            var loss = Functional.CrossEntropy(logits, expected["y"]);
            loss.Backward();
            var result = new List<(string, double)> { ("logits", Diff(expected["logits"], logits)), ("loss", Diff(expected["loss"], loss.Reshape(1))) };
            var withGrad = model.NamedParameters().Where(p => p.Parameter.Value.Grad is not null).Select(p => p.Name).Order().ToList();
            var expectedGrads = expected.Keys.Where(k => k.StartsWith("grad.", StringComparison.Ordinal)).Select(k => k[5..]).Order().ToList();
            Assert.Equal(expectedGrads, withGrad);
            Assert.Equal(expectedGrads.Count, adapted.TrainableParameters().Count);
            result.AddRange(expectedGrads.Select(p => ("grad " + p, Diff(expected["grad." + p], model.GetParameter(p).Value.Grad!))));
            return result;
        }
        finally
        {
            foreach (var t in expected.Values) t.Dispose();
        }
    }

    private static double Diff(Tensor want, Tensor got)
    {
        Assert.Equal(want.Shape, got.Shape);
        return MaxAbsDiff(want, got);
    }
}
