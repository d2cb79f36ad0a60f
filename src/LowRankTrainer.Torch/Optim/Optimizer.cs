using System.Globalization;
using System.Text.RegularExpressions;

namespace LowRankTrainer.Torch.Optim;

/// <summary>
/// The common part of the optimizers that step in the shim: parameter groups, per-parameter state
/// tensors that never join a <see cref="DisposeScope"/>, zero_grad, and state save/load with checks.
/// </summary>
/// <remarks>
/// State lives in flat arrays indexed by the parameter's position across groups, so a group's slice
/// is handed to the shim as one contiguous array of handles: a step is one native call per group
/// however many parameters it holds. A state slot stays null until the parameter first has a
/// gradient; the shim then creates the tensor (as PyTorch does lazily) and the slot adopts it.
/// </remarks>
public abstract unsafe partial class Optimizer : IOptimizer
{
    private readonly ParamGroup[] _groups;
    private readonly Tensor[] _all;
    private readonly string[] _stateNames;
    private bool _disposed;

    /// <summary>Start of each group's slice in the flat arrays.</summary>
    private protected readonly int[] Offsets;

    /// <summary>Handles of the parameters, refreshed before every native call.</summary>
    private protected readonly nint[] ParamHandles;

    /// <summary>State tensors: [kind][flat parameter index], null until created.</summary>
    private protected readonly Tensor?[][] State;

    /// <summary>Handles of <see cref="State"/> as passed to the shim (0 = not created yet).</summary>
    private protected readonly nint[][] StateHandles;

    /// <summary>Per-parameter step counts, for optimizers that keep one ("state.{i}.step"); else null.</summary>
    private protected readonly long[]? Steps;

    private protected Optimizer(IEnumerable<ParamGroup> groups, string[] stateNames, bool hasStep)
    {
        ArgumentNullException.ThrowIfNull(groups);
        _groups = groups.ToArray();
        if (_groups.Length == 0) throw new ArgumentException("the optimizer got an empty list of parameter groups", nameof(groups));
        Offsets = new int[_groups.Length];
        var seen = new HashSet<nint>();
        var all = new List<Tensor>();
        for (var g = 0; g < _groups.Length; g++)
        {
            ArgumentNullException.ThrowIfNull(_groups[g], nameof(groups));
            Offsets[g] = all.Count;
            foreach (var p in _groups[g].Parameters)
            {
                // A handle is the TensorImpl*, so aliases of one tensor compare equal.
                if (!seen.Add(p.Handle)) throw new ArgumentException("some parameters appear more than once in the parameter groups", nameof(groups));
                all.Add(p);
            }
        }
        _all = all.ToArray();
        _stateNames = stateNames;
        ParamHandles = new nint[_all.Length];
        State = new Tensor?[stateNames.Length][];
        StateHandles = new nint[stateNames.Length][];
        for (var k = 0; k < stateNames.Length; k++)
        {
            State[k] = new Tensor?[_all.Length];
            StateHandles[k] = new nint[_all.Length];
        }
        Steps = hasStep ? new long[_all.Length] : null;
    }

    /// <summary>Wraps a flat list of parameters in one group with the optimizer's defaults.</summary>
    private protected static ParamGroup[] OneGroup(IEnumerable<Tensor> parameters) => [new ParamGroup(parameters)];

    /// <inheritdoc/>
    public IReadOnlyList<ParamGroup> ParamGroups => _groups;

    /// <summary>Every parameter, in flat order.</summary>
    public IReadOnlyList<Tensor> Parameters => _all;

    /// <inheritdoc/>
    public void Step()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        for (var g = 0; g < _groups.Length; g++)
        {
            var start = Offsets[g];
            var n = _groups[g].Parameters.Count;
            for (var i = start; i < start + n; i++)
            {
                ParamHandles[i] = _all[i].Handle;
                for (var k = 0; k < State.Length; k++) StateHandles[k][i] = State[k][i]?.Handle ?? 0;
            }
            StepGroup(_groups[g], start, n);
            // Adopt what the shim created, outside any scope: optimizer state outlives the step.
            using (DisposeScope.Suspend())
            {
                for (var k = 0; k < State.Length; k++)
                {
                    for (var i = start; i < start + n; i++)
                    {
                        if (State[k][i] is null && StateHandles[k][i] != 0) State[k][i] = new Tensor(StateHandles[k][i]);
                    }
                }
            }
        }
    }

    /// <summary>One native call updating the group's slice [start, start + n) of the flat arrays.</summary>
    private protected abstract void StepGroup(ParamGroup group, int start, int n);

    /// <inheritdoc/>
    public void ZeroGrad(bool setToNone = true) => Autograd.ZeroGrad(_all, setToNone);

    /// <inheritdoc/>
    public OptimizerState SaveState()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var tensors = new Dictionary<string, Tensor>();
        for (var i = 0; i < _all.Length; i++)
        {
            for (var k = 0; k < State.Length; k++)
            {
                if (State[k][i] is { } t) tensors[Key(i, _stateNames[k])] = t.Alias();
            }
            // PyTorch keeps the step as a float32 scalar tensor next to the moments.
            if (Steps is not null && State[0][i] is not null) tensors[Key(i, "step")] = Tensor.ScalarTensor(Steps[i], DType.Float32);
        }
        var groups = new ParamGroupState[_groups.Length];
        for (var g = 0; g < groups.Length; g++) groups[g] = _groups[g].ToState(Offsets[g]);
        return new OptimizerState(tensors, groups);
    }

    /// <inheritdoc/>
    public void LoadState(OptimizerState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckGroups(state.ParamGroups);
        var names = Steps is null ? _stateNames : [.. _stateNames, "step"];
        var present = new HashSet<int>();
        foreach (var (key, t) in state.Tensors)
        {
            var m = StateKey().Match(key);
            if (!m.Success || !int.TryParse(m.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var i)
                || i >= _all.Length || Array.IndexOf(names, m.Groups[2].Value) < 0)
            {
                throw new ArgumentException($"unexpected key '{key}' in the optimizer state: this optimizer has {_all.Length} parameters " +
                                            $"and keeps state.{{i}}.{{{string.Join(",", names)}}}", nameof(state));
            }
            var expected = m.Groups[2].Value == "step" ? Array.Empty<long>() : _all[i].Shape;
            var actual = t.Shape;
            if (m.Groups[2].Value == "step" ? t.NumEl != 1 : !actual.AsSpan().SequenceEqual(expected))
            {
                throw new ArgumentException($"'{key}' has shape [{string.Join(", ", actual)}], expected [{string.Join(", ", expected)}]", nameof(state));
            }
            present.Add(i);
        }
        foreach (var i in present)
        {
            foreach (var name in names)
            {
                if (!state.Tensors.ContainsKey(Key(i, name)))
                    throw new ArgumentException($"the optimizer state is missing '{Key(i, name)}' (it has other state for parameter {i})", nameof(state));
            }
        }

        // Everything checked: replace the state with copies in each parameter's dtype and device.
        ClearState();
        using (DisposeScope.Suspend())
        using (Autograd.NoGrad())
        {
            foreach (var i in present)
            {
                var p = _all[i];
                for (var k = 0; k < State.Length; k++) State[k][i] = state.Tensors[Key(i, _stateNames[k])].To(p.Device, p.DType, copy: true);
                if (Steps is not null) Steps[i] = checked((long)state.Tensors[Key(i, "step")].ToDouble());
            }
        }
        for (var g = 0; g < _groups.Length; g++) _groups[g].Load(state.ParamGroups[g]);
    }

    private void CheckGroups(IReadOnlyList<ParamGroupState> saved)
    {
        if (saved.Count != _groups.Length)
            throw new ArgumentException($"the optimizer state has {saved.Count} parameter groups, this optimizer {_groups.Length}", nameof(saved));
        for (var g = 0; g < saved.Count; g++)
        {
            var expected = Enumerable.Range(Offsets[g], _groups[g].Parameters.Count);
            if (!saved[g].Params.SequenceEqual(expected))
            {
                throw new ArgumentException($"param_groups[{g}] holds parameters [{string.Join(", ", saved[g].Params)}], " +
                                            $"this optimizer's group [{string.Join(", ", expected)}]", nameof(saved));
            }
        }
    }

    private static string Key(int i, string name) => $"state.{i}.{name}";

    [GeneratedRegex(@"^state\.([0-9]+)\.(\w+)$")]
    private static partial Regex StateKey();

    private void ClearState()
    {
        for (var k = 0; k < State.Length; k++)
        {
            for (var i = 0; i < _all.Length; i++)
            {
                State[k][i]?.Dispose();
                State[k][i] = null;
            }
        }
        if (Steps is not null) Array.Clear(Steps);
    }

    /// <summary>Frees the state tensors (the parameters belong to the caller).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        ClearState();
        GC.SuppressFinalize(this);
    }
}
