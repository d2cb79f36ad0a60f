using LowRankTrainer.Adapters;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Tests.Adapters;

internal static class AdapterTestHelpers
{
    /// <summary>Largest |a − b| over all elements.</summary>
    public static double MaxAbsDiff(Tensor a, Tensor b)
    {
        using var scope = new DisposeScope();
        return (a - b).Abs().Max().ToDouble();
    }

    /// <summary>
    /// Fills every adapter tensor (and, with <paramref name="everything"/>, every trainable tensor) with
    /// seeded noise, so ΔW ≠ 0 and merge / save / disable have something to get wrong.
    /// </summary>
    public static void Perturb(AdapterModel adapted, bool everything = false, ulong seed = 5)
    {
        using var g = new Generator(seed);
        using var noGrad = Autograd.NoGrad();
        using var scope = new DisposeScope();
        var slots = adapted.Layers.SelectMany(l => l.Layer.AdapterTensors().Select(t => t.Slot.Value)).ToList();
        if (everything) slots.AddRange(adapted.TrainableParameters().Select(p => p.Value));
        foreach (var t in slots.Distinct(ReferenceEqualityComparer.Instance).Cast<Tensor>())
        {
            t.Copy_(Tensor.Randn(t.Shape, g) * 0.3);
        }
    }

    public static string TempFolder() => Path.Combine(Path.GetTempPath(), "lrt-adapter-" + Guid.NewGuid().ToString("N"));
}
