using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;
using Buffer = LowRankTrainer.Torch.Nn.Buffer;

namespace LowRankTrainer.Adapters.RandLora;

/// <summary>
/// A Linear layer with a RandLoRA branch (Albert et al., ICLR 2025; PEFT <c>tuners/randlora/layer.py</c>):
/// y = W₀x + b + s·ΔW·dropout(x) with, for m = min(d_in, d_out), M = max(d_in, d_out), n = ⌈m / r⌉,
/// Ã[k·n+j, i] = λ[k,j]·A[k,0,i]·γ[j,i] (r·n × m) and B̃[o, j·r+k] = B[o,j,k] (M × n·r):
/// ΔW = B̃Ã when m = d_in, ΔW = ÃᵀB̃ᵀ when m = d_out — the trainable diagonals always sit on the smaller dimension.
/// This is the paper's Σ_j B_j Λ_j A Γ_j (Eq. 4) up to PEFT's fixed pairing of B̃'s columns with Ã's rows.
/// </summary>
/// <remarks>
/// <para>Tensors (PEFT's names): <c>randlora_lambda</c> (r, n) and <c>randlora_gamma</c> (n, m), trainable, init λ = 0
/// (so ΔW = 0) and γ = 1/max(n, m); <c>randlora_A</c> / <c>randlora_B</c> are the model's shared frozen bases
/// (<see cref="RandLoraBases"/>), registered here as the same buffer slots, and sliced per layer.</para>
/// <para>The branch runs as one native autograd function (<see cref="RandLoraOps.Branch"/>) that saves only its
/// inputs and rebuilds Ã in backward, so no r·n·m tensor per layer stays alive between forward and backward.</para>
/// </remarks>
public sealed class RandLoraLinear : AdapterLayer
{
    private readonly Dropout? _dropout;

    /// <summary>Wraps <paramref name="baseLayer"/> with base rank <paramref name="r"/> over the shared bases <paramref name="a"/>, <paramref name="b"/>.</summary>
    internal RandLoraLinear(Linear baseLayer, int r, RandLoraOptions options, Buffer a, Buffer b)
        : base(baseLayer)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentOutOfRangeException.ThrowIfLessThan(r, 1);
        var w = BaseLayer.Weight.Value;
        MinDim = Math.Min(baseLayer.InFeatures, baseLayer.OutFeatures);
        MaxDim = Math.Max(baseLayer.InFeatures, baseLayer.OutFeatures);
        Transposed = MinDim != baseLayer.InFeatures;
        R = r;
        NumBases = RandLoraOptions.NumBases(MinDim, r);
        if (a.Value.Shape[0] != r || a.Value.Shape[2] < MinDim || b.Value.Shape[0] < MaxDim || b.Value.Shape[1] < NumBases)
        {
            throw new ArgumentException($"randlora: shared bases A {Shape(a.Value)}, B {Shape(b.Value)} are too small for a {baseLayer.OutFeatures}×{baseLayer.InFeatures} layer with r = {r}");
        }
        Scaling = options.ScalingFor(NumBases);
        A = RegisterBuffer("randlora_A", a);
        B = RegisterBuffer("randlora_B", b);
        using (DisposeScope.Suspend())
        {
            Lambda = RegisterParameter("randlora_lambda", Tensor.Zeros([r, NumBases], w.DType, w.Device));
            Gamma = RegisterParameter("randlora_gamma", Tensor.Full([NumBases, MinDim], 1.0 / Math.Max(NumBases, MinDim), w.DType, w.Device));
        }
        if (options.Dropout > 0) _dropout = RegisterModule("randlora_dropout", new Dropout(options.Dropout, generator: null));
    }

    /// <summary>The base rank r.</summary>
    public int R { get; }

    /// <summary>n = ⌈m / r⌉, the number of bases.</summary>
    public int NumBases { get; }

    /// <summary>m = min(d_in, d_out), where γ lives.</summary>
    public long MinDim { get; }

    /// <summary>M = max(d_in, d_out).</summary>
    public long MaxDim { get; }

    /// <summary>True when m = d_out &lt; d_in (ΔW = ÃᵀB̃ᵀ).</summary>
    public bool Transposed { get; }

    /// <summary>s: α/r or 2/√n.</summary>
    public double Scaling { get; }

    /// <summary>The shared <c>randlora_A</c>, (r, 1, m_max).</summary>
    public Buffer A { get; }

    /// <summary>The shared <c>randlora_B</c>, (M_max, n_max, r).</summary>
    public Buffer B { get; }

    /// <summary>λ, (r, n).</summary>
    public Parameter Lambda { get; }

    /// <summary>γ, (n, m).</summary>
    public Parameter Gamma { get; }

    /// <summary>This layer's slice of A, (r, 1, m) (a view).</summary>
    public Tensor SlicedA() => A.Value.Narrow(2, 0, MinDim);

    /// <summary>This layer's slice of B, (M, n, r) (a view).</summary>
    public Tensor SlicedB() => B.Value.Narrow(0, 0, MaxDim).Narrow(1, 0, NumBases);

    /// <inheritdoc/>
    /// <remarks>Only λ and γ: the shared bases are saved once by the method (when <c>save_projection</c>) or regenerated.</remarks>
    public override IEnumerable<(string Name, TensorSlot Slot)> AdapterTensors() => [("randlora_lambda", Lambda), ("randlora_gamma", Gamma)];

    /// <inheritdoc/>
    protected override Tensor AdaptedForward(Tensor input)
    {
        using var dropped = _dropout?.Forward(input);
        using var a = SlicedA();
        using var b = SlicedB();
        return BasePlus(input, RandLoraOps.Branch(dropped ?? input, a, b, Lambda.Value, Gamma.Value, Transposed), Scaling);
    }

    /// <summary>ΔW = s·B̃Ã (or s·ÃᵀB̃ᵀ), (d_out, d_in); in fp32 for half-precision tensors, then rounded once by the merge.</summary>
    public override Tensor DeltaWeight()
    {
        var (a, b, lambda, gamma) = (SlicedA(), SlicedB(), Lambda.Value, Gamma.Value);
        if (a.DType is DType.BFloat16 or DType.Float16) (a, b, lambda, gamma) = (a.To(DType.Float32), b.To(DType.Float32), lambda.To(DType.Float32), gamma.To(DType.Float32));
        var scaledA = (lambda.Unsqueeze(2) * a * gamma.Unsqueeze(0)).Flatten(0, 1);  // (r·n, m)
        var flatB = b.Flatten(1, 2);                                                  // (M, n·r)
        var delta = Transposed ? scaledA.MT.Mm(flatB.MT) : flatB.Mm(scaledA);
        return delta * Scaling;
    }

    private static string Shape(Tensor t) => "(" + string.Join(", ", t.Shape) + ")";
}
