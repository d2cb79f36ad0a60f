using LowRankTrainer.Torch.Native;

namespace LowRankTrainer.Torch.Nn;

/// <summary>
/// Stateless neural-network ops (PyTorch's torch.nn.functional): losses, attention, dropout and
/// the functional forms of the layers. Each returns a new tensor that joins the current scope.
/// </summary>
public static unsafe class Functional
{
    private static Tensor Wrap(int status, nint handle) => Tensor.Wrap(status, handle);

    private static nint H(Tensor t, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(t))] string? name = null)
    {
        ArgumentNullException.ThrowIfNull(t, name);
        return t.Handle;
    }

    // ---- losses ----

    /// <summary>
    /// Cross-entropy of <paramref name="logits"/> (N, C, …) against class indices (N, …; int64) or
    /// class probabilities (same shape as the logits). Per sample with target class y:
    /// ℓ = −w_y·[(1−ε)·log softmax(x)_y + (ε/C)·Σ_c log softmax(x)_c] with ε the label smoothing
    /// (Szegedy et al. 2016); samples whose target is <paramref name="ignoreIndex"/> contribute
    /// nothing, and the mean divides by the summed weights of the others.
    /// </summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor target, Tensor? weight = null, long ignoreIndex = -100,
                                      double labelSmoothing = 0, Reduction reduction = Reduction.Mean)
    {
        nint r;
        return Wrap(NativeMethods.ts_cross_entropy(H(logits), H(target), weight?.Handle ?? 0, (long)reduction, ignoreIndex, labelSmoothing, &r), r);
    }

    /// <summary>Negative log-likelihood of log-probabilities: ℓ = −w_y·logp_y, with ignore_index and weighted mean as cross-entropy.</summary>
    public static Tensor NllLoss(Tensor logProbs, Tensor target, Tensor? weight = null, long ignoreIndex = -100, Reduction reduction = Reduction.Mean)
    {
        nint r;
        return Wrap(NativeMethods.ts_nll_loss(H(logProbs), H(target), weight?.Handle ?? 0, (long)reduction, ignoreIndex, &r), r);
    }

    /// <summary>Mean squared error: mean((input − target)²) (or the sum, or elementwise).</summary>
    public static Tensor Mse(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        nint r;
        return Wrap(NativeMethods.ts_mse_loss(H(input), H(target), (long)reduction, &r), r);
    }

    // ---- activations ----

    /// <summary>softmax(x)ᵢ = exp(xᵢ)/Σⱼ exp(xⱼ) along <paramref name="dim"/>.</summary>
    public static Tensor Softmax(Tensor input, long dim) => NotNull(input).Softmax(dim);

    /// <summary>log softmax(x)ᵢ = xᵢ − log Σⱼ exp(xⱼ) along <paramref name="dim"/>, computed stably.</summary>
    public static Tensor LogSoftmax(Tensor input, long dim) => NotNull(input).LogSoftmax(dim);

    // ---- attention and dropout ----

    /// <summary>
    /// Scaled dot-product attention (Vaswani et al. 2017): softmax(Q·Kᵀ·s + M)·V over (…, L, E) queries,
    /// (…, S, E) keys and (…, S, Ev) values, with s = <paramref name="scale"/> or 1/√E. A bool
    /// <paramref name="mask"/> is true where a query may attend to a key; a float mask is added to the
    /// scores; <paramref name="isCausal"/> lets query i see keys j ≤ i (not together with a mask).
    /// libtorch 2.1+ runs the public op (fused kernels on CUDA); 1.13 composes the same math.
    /// <paramref name="enableGqa"/> (PyTorch's <c>enable_gqa</c>): keys and values may have fewer heads (dim −3) than
    /// the queries, H = r·Hkv, query head h attending with key/value head ⌊h/r⌋ (grouped-query attention, Ainslie et
    /// al. 2023). Without a mask on libtorch 2.5+ the op reads the shared heads in place; otherwise they are repeated
    /// r-fold first, which gives the same result.
    /// </summary>
    public static Tensor ScaledDotProductAttention(Tensor query, Tensor key, Tensor value, Tensor? mask = null,
                                                   double dropoutP = 0, bool isCausal = false, double? scale = null,
                                                   bool enableGqa = false)
    {
        if (scale is <= 0) throw new ArgumentOutOfRangeException(nameof(scale), scale, "the scale must be positive");
        nint r;
        return Wrap(NativeMethods.ts_sdpa(H(query), H(key), H(value), mask?.Handle ?? 0, dropoutP, isCausal ? 1 : 0, scale ?? 0,
                                          enableGqa ? 1 : 0, &r), r);
    }

    /// <summary>
    /// Inverted dropout (Srivastava et al. 2014): in training, y = x ⊙ m/(1−p) with m ~ Bernoulli(1−p),
    /// so E[y] = x; otherwise y = x (a new handle). A <paramref name="generator"/> makes the mask
    /// reproducible (on CPU it gives what torch.manual_seed + F.dropout gives). A generator on another device than
    /// <paramref name="input"/> (a model's CPU generator in a run moved to a GPU) draws the mask where it lives and the
    /// mask is copied over, so the masks are those of the same run on the CPU.
    /// </summary>
    public static Tensor Dropout(Tensor input, double p = 0.5, bool training = true, Generator? generator = null)
    {
        if (p is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(p), p, "dropout probability must be in [0, 1]");
        ArgumentNullException.ThrowIfNull(input);
        if (generator is not null && training && p > 0 && generator.Device.Type != input.Device.Type)
        {
            // libtorch refuses a CPU generator for a CUDA tensor. Dropout of ones is the scaled mask m/(1−p) exactly
            // (1·x = x), drawn from the same stream in the same order as the CPU kernel would for the input itself.
            using var ones = Tensor.Ones(input.Shape, input.DType, generator.Device);
            using var mask = Dropout(ones, p, training, generator);
            using var onDevice = mask.To(input.Device);
            return input * onDevice;
        }
        nint r;
        return Wrap(NativeMethods.ts_dropout(H(input), p, training ? 1 : 0, generator?.Handle ?? 0, &r), r);
    }

    // ---- layers in functional form ----

    /// <summary>y = x·Wᵀ + b.</summary>
    public static Tensor Linear(Tensor input, Tensor weight, Tensor? bias = null) => Tensor.Linear(input, weight, bias);

    /// <summary>
    /// 2-D cross-correlation over NCHW input with weight (C_out, C_in/groups, kH, kW):
    /// y[n,o] = b[o] + Σ_c Σ_(i,j) W[o,c,i,j]·x[n, g·C_in/groups + c, s·h + d·i − p, s·w + d·j − p] (zero padding).
    /// </summary>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias = null, (long H, long W)? stride = null,
                                (long H, long W)? padding = null, (long H, long W)? dilation = null, long groups = 1)
    {
        var s = stride ?? (1, 1);
        var p = padding ?? (0, 0);
        var d = dilation ?? (1, 1);
        nint r;
        return Wrap(NativeMethods.ts_conv2d(H(input), H(weight), bias?.Handle ?? 0, s.H, s.W, p.H, p.W, d.H, d.W, groups, &r), r);
    }

    /// <summary>The maximum over each (kH, kW) window (padding counts as −∞); stride defaults to the kernel size.</summary>
    public static Tensor MaxPool2d(Tensor input, (long H, long W) kernelSize, (long H, long W)? stride = null,
                                   (long H, long W)? padding = null, (long H, long W)? dilation = null, bool ceilMode = false)
    {
        var s = stride ?? kernelSize;
        var p = padding ?? (0, 0);
        var d = dilation ?? (1, 1);
        nint r;
        return Wrap(NativeMethods.ts_max_pool2d(H(input), kernelSize.H, kernelSize.W, s.H, s.W, p.H, p.W, d.H, d.W, ceilMode ? 1 : 0, &r), r);
    }

    /// <summary>The mean over each (kH, kW) window; zero padding is counted in the divisor unless <paramref name="countIncludePad"/> is false.</summary>
    public static Tensor AvgPool2d(Tensor input, (long H, long W) kernelSize, (long H, long W)? stride = null,
                                   (long H, long W)? padding = null, bool ceilMode = false, bool countIncludePad = true)
    {
        var s = stride ?? kernelSize;
        var p = padding ?? (0, 0);
        nint r;
        return Wrap(NativeMethods.ts_avg_pool2d(H(input), kernelSize.H, kernelSize.W, s.H, s.W, p.H, p.W, ceilMode ? 1 : 0, countIncludePad ? 1 : 0, &r), r);
    }

    /// <summary>
    /// Layer normalisation (Ba et al. 2016) over the trailing dims given by <paramref name="normalizedShape"/>:
    /// y = (x − E[x])/√(Var[x] + ε)·γ + β, with the biased variance.
    /// </summary>
    public static Tensor LayerNorm(Tensor input, ReadOnlySpan<long> normalizedShape, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5)
    {
        nint r;
        fixed (long* s = normalizedShape)
        {
            return Wrap(NativeMethods.ts_layer_norm(H(input), s, normalizedShape.Length, weight?.Handle ?? 0, bias?.Handle ?? 0, eps, &r), r);
        }
    }

    /// <summary>
    /// Root-mean-square normalisation (Zhang &amp; Sennrich 2019) over the last <paramref name="normalizedDims"/> dims:
    /// y = x/√(mean(x²) + ε)·γ. A null <paramref name="eps"/> is the machine epsilon of the input's dtype (PyTorch's default).
    /// </summary>
    public static Tensor RmsNorm(Tensor input, int normalizedDims = 1, Tensor? weight = null, double? eps = null)
    {
        var e = eps ?? MachineEpsilon(NotNull(input).DType);
        nint r;
        return Wrap(NativeMethods.ts_rms_norm(H(input), normalizedDims, weight?.Handle ?? 0, e, &r), r);
    }

    /// <summary>Rows of <paramref name="weight"/> (V, D) picked by integer <paramref name="indices"/>; the <paramref name="paddingIdx"/> row gets no gradient.</summary>
    public static Tensor Embedding(Tensor indices, Tensor weight, long? paddingIdx = null)
    {
        nint r;
        return Wrap(NativeMethods.ts_embedding(H(weight), H(indices), paddingIdx ?? -1, &r), r);
    }

    /// <summary>torch.finfo(dtype).eps: the gap between 1 and the next representable value.</summary>
    public static double MachineEpsilon(DType dtype) => dtype switch
    {
        DType.Float64 => Math.BitIncrement(1.0) - 1.0,
        DType.Float32 => MathF.BitIncrement(1f) - 1f,
        DType.BFloat16 => 0.0078125,
        DType.Float16 => 0.0009765625,
        _ => throw new ArgumentException($"{dtype.TorchName()} is not a floating-point dtype", nameof(dtype)),
    };

    private static Tensor NotNull(Tensor t, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(t))] string? name = null)
    {
        ArgumentNullException.ThrowIfNull(t, name);
        return t;
    }
}
