using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Adapters.Lora;

/// <summary>
/// A Linear layer with a LoRA branch (Hu et al. 2021): y = W₀x + b + s·B(A(dropout(x))), A ∈ ℝ^{r×d_in}
/// (child <c>lora_A</c>, a bias-free Linear d_in→r), B ∈ ℝ^{d_out×r} (child <c>lora_B</c>, r→d_out),
/// s = α/r or α/√r (rsLoRA, Kalajdzievski 2023). Names and shapes are PEFT's, so the state-dict keys read
/// <c>&lt;module&gt;.lora_A.weight</c> (r, d_in) and <c>&lt;module&gt;.lora_B.weight</c> (d_out, r).
/// </summary>
/// <remarks>
/// Init: A by <see cref="LoraInit"/>, B = 0, so ΔW = s·B·A = 0 and the layer starts equal to the base.
/// Dropout touches only the branch's input, as in PEFT and loralib; merged inference equals the
/// unmerged forward exactly only with dropout off (evaluation mode).
/// </remarks>
public sealed class LoraLinear : AdapterLayer
{
    private readonly Linear _a;
    private readonly Linear _b;
    private readonly Dropout? _dropout;

    /// <summary>Wraps <paramref name="baseLayer"/> with a rank-<paramref name="r"/> branch drawn from <paramref name="generator"/>.</summary>
    public LoraLinear(Linear baseLayer, int r, double alpha, bool rsLora, double dropout, LoraInit init, Generator generator)
        : base(baseLayer)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentOutOfRangeException.ThrowIfLessThan(r, 1);
        var w = BaseLayer.Weight.Value;
        R = r;
        Alpha = alpha;
        Scaling = LoraOptions.Scaling(alpha, r, rsLora);
        using var suspended = DisposeScope.Suspend();
        _a = new Linear(baseLayer.InFeatures, r, bias: false, generator: generator, dtype: w.DType, device: w.Device);
        _b = new Linear(r, baseLayer.OutFeatures, bias: false, generator: generator, dtype: w.DType, device: w.Device);
        using (Autograd.NoGrad())
        {
            // As PEFT: the Linear constructors drew default inits; reset_lora_parameters then redraws A and zeroes B.
            if (init == LoraInit.Gaussian) Torch.Nn.Init.Normal_(_a.Weight.Value, 0, 1.0 / r, generator);
            else Torch.Nn.Init.KaimingUniform_(_a.Weight.Value, Math.Sqrt(5), generator);
            _b.Weight.Value.Zero_();
        }
        if (dropout > 0) _dropout = RegisterModule("lora_dropout", new Dropout(dropout, generator: null));
        RegisterModule("lora_A", _a);
        RegisterModule("lora_B", _b);
    }

    /// <summary>The rank r.</summary>
    public int R { get; }

    /// <inheritdoc/>
    public override string SizeLabel => $"r={R}";

    /// <summary>α.</summary>
    public double Alpha { get; }

    /// <summary>s = α/r (or α/√r).</summary>
    public double Scaling { get; }

    /// <summary>A, (r, d_in).</summary>
    public Parameter A => _a.Weight;

    /// <summary>B, (d_out, r).</summary>
    public Parameter B => _b.Weight;

    /// <inheritdoc/>
    public override IEnumerable<(string Name, TensorSlot Slot)> AdapterTensors() => [("lora_A.weight", A), ("lora_B.weight", B)];

    /// <inheritdoc/>
    protected override Tensor AdaptedForward(Tensor input)
    {
        using var dropped = _dropout?.Forward(input);
        using var down = _a.Forward(dropped ?? input);
        return BasePlus(input, _b.Forward(down), Scaling);
    }

    /// <summary>ΔW = s·B·A, (d_out, d_in); computed in fp32 for half-precision factors, as PEFT does, then cast back by the merge.</summary>
    public override Tensor DeltaWeight()
    {
        var (a, b) = (A.Value, B.Value);
        if (a.DType is DType.BFloat16 or DType.Float16) (a, b) = (a.To(DType.Float32), b.To(DType.Float32));
        return b.Mm(a) * Scaling;
    }
}
