namespace LowRankTrainer.Torch.Nn;

/// <summary>
/// Parameter initialisers (PyTorch's torch.nn.init), in place, with an optional generator so an
/// initialisation can be reproduced independently of the global seed.
/// </summary>
public static class Init
{
    /// <summary>
    /// fan_in and fan_out of a weight: dims 1 and 0 times the receptive field (the product of the
    /// dims after the first two), as PyTorch computes them.
    /// </summary>
    public static (long FanIn, long FanOut) Fans(Tensor weight)
    {
        ArgumentNullException.ThrowIfNull(weight);
        if (weight.Rank < 2) throw new ArgumentException("fan in and fan out need a tensor of at least 2 dims", nameof(weight));
        long receptive = 1;
        for (var d = 2; d < weight.Rank; d++) receptive *= weight.Size(d);
        return (weight.Size(1) * receptive, weight.Size(0) * receptive);
    }

    /// <summary>
    /// Kaiming-uniform for a leaky-ReLU slope <paramref name="a"/> (He et al. 2015), fan-in mode:
    /// U(−b, b) with b = √3·gain/√fan_in and gain = √(2/(1+a²)). With a = √5 (what Linear and Conv
    /// use) b = 1/√fan_in. The arithmetic follows PyTorch's step by step, so a seeded generator gives
    /// the same weights bit for bit.
    /// </summary>
    public static Tensor KaimingUniform_(Tensor tensor, double a = 0, Generator? generator = null)
    {
        var (fanIn, _) = Fans(tensor);
        var gain = Math.Sqrt(2.0 / (1 + (a * a)));
        var std = gain / Math.Sqrt(fanIn);
        var bound = Math.Sqrt(3.0) * std;
        using (Autograd.NoGrad()) return tensor.Uniform_(-bound, bound, generator);
    }

    /// <summary>U(−1/√fan_in, 1/√fan_in): PyTorch's bias initialisation for Linear and Conv (fan_in of the weight).</summary>
    public static Tensor FanInUniform_(Tensor tensor, long fanIn, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var bound = fanIn > 0 ? 1 / Math.Sqrt(fanIn) : 0;
        using (Autograd.NoGrad()) return tensor.Uniform_(-bound, bound, generator);
    }

    /// <summary>N(mean, std²) in place.</summary>
    public static Tensor Normal_(Tensor tensor, double mean = 0, double std = 1, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using (Autograd.NoGrad()) return tensor.Normal_(mean, std, generator);
    }
}
