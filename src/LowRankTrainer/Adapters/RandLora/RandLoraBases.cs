using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;
using Buffer = LowRankTrainer.Torch.Nn.Buffer;

namespace LowRankTrainer.Adapters.RandLora;

/// <summary>
/// RandLoRA's frozen random bases, generated once per model at the largest size any target needs and shared by
/// every layer (PEFT's <c>RandLoraModel._init_randlora_A_randlora_B</c>): with (O, I) the element-wise largest
/// (d_out, d_in) over the targets, M = max(O, I), m = min(O, I), n = ⌈m / r⌉,
/// <c>randlora_A</c> is (r, 1, m) and <c>randlora_B</c> is (M, n, r). A layer reads the slices A[:, :, :m_ℓ] and
/// B[:M_ℓ, :n_ℓ, :]. Both are drawn from a generator seeded with <c>projection_prng_key</c>, A first, then divided
/// by their own (unbiased) std so each has unit variance.
/// </summary>
/// <remarks>
/// Dense: kaiming-uniform (a = √5), i.e. uniform, as PEFT (which draws in bf16/fp16; here fp32 as the official code).
/// Sparse (Achlioptas / Li et al. "very sparse random projections", PEFT's <c>_init_randlora_A_randlora_B_sparse</c>):
/// u ~ U(0, 1); −1 where u &lt; 1/(2s), +1 where u &gt; 1 − 1/(2s), else 0, with s = 3 (<c>sparse</c>) or s = √m
/// (<c>very_sparse</c>). The bases are buffers of a holder module; each layer registers the same slots with
/// <see cref="Module.RegisterBuffer(string, Buffer)"/>, persistent only when <c>save_projection</c> is true.
/// </remarks>
internal sealed class RandLoraBases : Module
{
    public RandLoraBases(IReadOnlyList<AdapterTarget> targets, RandLoraOptions options)
    {
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(options);
        var outMax = targets.Max(t => t.Layer.OutFeatures);
        var inMax = targets.Max(t => t.Layer.InFeatures);
        MaxDim = Math.Max(outMax, inMax);
        MinDim = Math.Min(outMax, inMax);
        NumBases = RandLoraOptions.NumBases(MinDim, options.R);
        var w = targets[0].Layer.Weight.Value;
        using var scope = new DisposeScope();
        using var noGrad = Autograd.NoGrad();
        using var generator = new Generator(options.ProjectionPrngKey);
        long[] aShape = [options.R, 1, MinDim], bShape = [MaxDim, NumBases, options.R];
        Tensor a, b;
        if (options.Sparse || options.VerySparse)
        {
            var s = options.VerySparse ? Math.Sqrt(MinDim) : 3.0;
            a = Ternary(Tensor.Rand(aShape, generator), s);
            b = Ternary(Tensor.Rand(bShape, generator), s);
        }
        else
        {
            a = Init.KaimingUniform_(Tensor.Empty(aShape), Math.Sqrt(5), generator);
            b = Init.KaimingUniform_(Tensor.Empty(bShape), Math.Sqrt(5), generator);
        }
        A = RegisterBuffer("randlora_A", UnitStd(a).To(w.Device, w.DType), options.SaveProjection);
        B = RegisterBuffer("randlora_B", UnitStd(b).To(w.Device, w.DType), options.SaveProjection);
    }

    /// <summary>M: the largest dimension any target needs on the basis side.</summary>
    public long MaxDim { get; }

    /// <summary>m: the largest smaller dimension.</summary>
    public long MinDim { get; }

    /// <summary>⌈m / r⌉: the most bases any target uses.</summary>
    public int NumBases { get; }

    /// <summary><c>randlora_A</c>, (r, 1, m).</summary>
    public Buffer A { get; }

    /// <summary><c>randlora_B</c>, (M, n, r).</summary>
    public Buffer B { get; }

    private static Tensor Ternary(Tensor u, double s)
    {
        var p = 1.0 / (2 * s);
        return u.Gt(1 - p).To(DType.Float32) - u.Lt(p).To(DType.Float32);
    }

    private static Tensor UnitStd(Tensor t)
    {
        var std = t.Std();
        if (!(std.ToDouble() > 0)) throw new InvalidOperationException($"randlora: a sparse basis of shape ({string.Join(", ", t.Shape)}) drew no non-zero entry; use another projection_prng_key, a larger r·m, or dense bases");
        return t / std;
    }
}
