namespace LowRankTrainer.Torch.Optim;

/// <summary>
/// An optimizer's state as PyTorch's <c>state_dict()</c> lays it out: per-parameter tensors under
/// flat names (<c>state.{i}.exp_avg</c>, <c>state.{i}.exp_avg_sq</c>, <c>state.{i}.step</c>,
/// <c>state.{i}.momentum_buffer</c>, with <c>i</c> the parameter's position across all groups) and
/// the groups' hyperparameters as plain data. The tensors go to a safetensors file as they are, the
/// groups to JSON.
/// </summary>
/// <remarks>
/// It owns its tensors: dispose it once written. Tensors returned by <see cref="IOptimizer.SaveState"/>
/// share storage with the live state (as PyTorch's state_dict does), so write them out before the next
/// step; <see cref="IOptimizer.LoadState"/> copies, so the source may be disposed right after.
/// </remarks>
public sealed class OptimizerState : IDisposable
{
    /// <summary>State tensors by flat name.</summary>
    public Dictionary<string, Tensor> Tensors { get; }

    /// <summary>One entry per parameter group, in order.</summary>
    public IReadOnlyList<ParamGroupState> ParamGroups { get; }

    /// <summary>A state from its parts (for instance read back from a checkpoint); takes ownership of the tensors.</summary>
    public OptimizerState(Dictionary<string, Tensor> tensors, IReadOnlyList<ParamGroupState> paramGroups)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentNullException.ThrowIfNull(paramGroups);
        Tensors = tensors;
        ParamGroups = paramGroups;
    }

    /// <summary>Disposes every tensor.</summary>
    public void Dispose()
    {
        foreach (var t in Tensors.Values) t.Dispose();
    }
}

/// <summary>What a training loop needs of an optimizer.</summary>
public interface IOptimizer : IDisposable
{
    /// <summary>The parameter groups, with their (mutable) hyperparameters.</summary>
    IReadOnlyList<ParamGroup> ParamGroups { get; }

    /// <summary>Updates every parameter that has a gradient: one native call per group.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1716", Justification = "PyTorch's name; VB.NET callers are not a concern")]
    void Step();

    /// <summary>Clears the gradients of all parameters: dropped (the default, as PyTorch 2.x) or zeroed in place.</summary>
    void ZeroGrad(bool setToNone = true);

    /// <summary>The state and hyperparameters under PyTorch-like names (see <see cref="OptimizerState"/>).</summary>
    OptimizerState SaveState();

    /// <summary>
    /// Replaces the state and hyperparameters with a saved one, after checking that groups, names and
    /// shapes match (nothing changes if they do not).
    /// </summary>
    void LoadState(OptimizerState state);
}
