using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Adapters.Intrinsic;

/// <summary>One projected parameter tensor: where its slice of P θ starts, its length, and its SAID scale index.</summary>
/// <param name="Offset">Start of the slice in the D-vector.</param>
/// <param name="Size">Number of elements (D_t).</param>
/// <param name="Index">Position among the projected tensors (the index of its λ under SAID).</param>
public sealed record IntrinsicBlock(long Offset, long Size, int Index);

/// <summary>
/// The state every <see cref="IntrinsicLinear"/> of one model shares: the projection P, the trained θ (and SAID's λ),
/// and the layout of the D-vector P θ over the projected tensors (each target's weight, then its bias, in module order).
/// </summary>
/// <remarks>
/// <para>P θ is computed once per forward pass and reused by every layer: the cached vector is recomputed when a tensor's
/// slice is asked for a second time (a new forward pass, which covers θ having changed in between), when grad mode changed,
/// or when the tensor was freed by its <see cref="DisposeScope"/> (the end of a step). It lives in the caller's scope
/// like any temporary, so the live-tensor count returns to its baseline after each step.</para>
/// <para>θ (and λ) are registered by the first layer and shared by the rest (<see cref="Module.RegisterParameter(string, Parameter)"/>),
/// so they are counted, optimised and saved once.</para>
/// </remarks>
public sealed class IntrinsicSubspace : IDisposable
{
    private readonly HashSet<IntrinsicBlock> _served = [];
    private Parameter? _theta;
    private Tensor? _cache;
    private bool _cacheGrad;

    /// <summary>Creates the shared state; <see cref="Theta"/> and <see cref="Lambda"/> are set by the first layer.</summary>
    public IntrinsicSubspace(IntrinsicProjection projection, IReadOnlyList<IntrinsicBlock> blocks, bool said)
    {
        Projection = projection ?? throw new ArgumentNullException(nameof(projection));
        Blocks = blocks ?? throw new ArgumentNullException(nameof(blocks));
        Said = said;
    }

    /// <summary>P.</summary>
    public IntrinsicProjection Projection { get; }

    /// <summary>The projected tensors in D-vector order.</summary>
    public IReadOnlyList<IntrinsicBlock> Blocks { get; }

    /// <summary>Whether each tensor's slice is scaled by its own trainable λ (SAID).</summary>
    public bool Said { get; }

    /// <summary>θ ∈ ℝᵏ (k = d for DID, d − m for SAID), zero at init.</summary>
    public Parameter Theta
    {
        get => _theta ?? throw new InvalidOperationException("θ is created by the first IntrinsicLinear of the subspace");
        internal set => _theta = value;
    }

    /// <summary>Whether θ exists yet (the first layer creates it).</summary>
    internal bool HasTheta => _theta is not null;

    /// <summary>SAID's λ ∈ ℝᵐ, one per projected tensor, one at init; null for DID.</summary>
    public Parameter? Lambda { get; internal set; }

    /// <summary>The offset of one projected tensor, (λ_t ·) (P θ)[offset, offset + size), 1-D, for a forward or a merge.</summary>
    internal Tensor Offset(IntrinsicBlock block)
    {
        var full = Full(block);
        var slice = full.Narrow(0, block.Offset, block.Size);
        return Lambda is { } l ? slice * l.Value.Narrow(0, block.Index, 1) : slice;
    }

    private Tensor Full(IntrinsicBlock requester)
    {
        var grad = Autograd.IsGradEnabled;
        if (_cache is null || _cache.IsDisposed || _cacheGrad != grad || _served.Contains(requester))
        {
            _cache = Projection.Apply(Theta.Value);
            _cacheGrad = grad;
            _served.Clear();
        }
        _served.Add(requester);
        return _cache;
    }

    /// <summary>Frees P's tensors (θ and λ belong to the layers' modules).</summary>
    public void Dispose() => Projection.Dispose();
}
