using System.Globalization;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Losses;

/// <summary>
/// The classification heads of Matryoshka Representation Learning (Kusupati et al. 2022, RAIVNLab/MRL
/// <c>MRL_Linear_Layer</c>): one logit row per nesting size m ∈ M for the prefix z_{1:m} of the
/// representation z ∈ R^d.
/// </summary>
/// <remarks>
/// <para><b>MRL</b> (<c>efficient: false</c>): a separate head per size, logits_m = W^(m)·z_{1:m} + b^(m) with
/// W^(m) ∈ R^{C×m} and its own bias; children <c>nesting_classifier_0</c>, <c>nesting_classifier_1</c>, … in
/// ascending size order (the reference code's names). Head parameters: Σ_m (m+1)·C.</para>
/// <para><b>MRL-E</b> (<c>efficient: true</c>): one head W ∈ R^{C×d} (<c>nesting_classifier_0</c>); size m uses
/// the first m columns and the <b>shared</b> full bias: logits_m = W[:, :m]·z_{1:m} + b. Parameters: (d+1)·C.</para>
/// <para><see cref="Forward"/> returns the logits of every size stacked as [N, |M|, C] (ascending m), so one
/// tensor carries them through the trainer; <see cref="MatryoshkaCrossEntropy"/> reduces it.</para>
/// </remarks>
public sealed class MrlLinear : Module<Tensor, Tensor>
{
    private readonly Linear[] _heads;

    /// <summary>Creates the heads.</summary>
    /// <param name="representationSize">d, the size of z; every nesting size must be ≤ d.</param>
    /// <param name="nestingSizes">The sizes M (any order, distinct, each in [1, d]); stored ascending.</param>
    /// <param name="numClasses">C.</param>
    /// <param name="efficient">MRL-E (one weight-tied head) instead of one head per size.</param>
    /// <param name="generator">Draws the initial weights (PyTorch's Linear initialisation, heads in ascending size order).</param>
    /// <param name="dtype">Parameter dtype.</param>
    public MrlLinear(long representationSize, IReadOnlyList<int> nestingSizes, long numClasses, bool efficient, Generator generator,
                     DType dtype = DType.Float32)
    {
        ArgumentNullException.ThrowIfNull(nestingSizes);
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentOutOfRangeException.ThrowIfLessThan(representationSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 1);
        NestingSizes = CheckSizes(nestingSizes, representationSize, nameof(nestingSizes));
        RepresentationSize = representationSize;
        Efficient = efficient;
        _heads = efficient
            ? [new Linear(representationSize, numClasses, generator: generator, dtype: dtype)]
            : NestingSizes.Select(m => new Linear(m, numClasses, generator: generator, dtype: dtype)).ToArray();
        for (var i = 0; i < _heads.Length; i++) RegisterModule("nesting_classifier_" + i.ToString(CultureInfo.InvariantCulture), _heads[i]);
    }

    /// <summary>The nesting sizes, ascending.</summary>
    public IReadOnlyList<int> NestingSizes { get; }

    /// <summary>d.</summary>
    public long RepresentationSize { get; }

    /// <summary>Whether this is MRL-E.</summary>
    public bool Efficient { get; }

    /// <summary>The logits of every nesting size for z [N, d], stacked as [N, |M|, C].</summary>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != 2 || input.Size(1) != RepresentationSize)
        {
            throw new ArgumentException($"MRL heads expect a representation [N, {RepresentationSize}], got [{string.Join(", ", input.Shape)}]", nameof(input));
        }
        var logits = new Tensor[NestingSizes.Count];
        for (var i = 0; i < logits.Length; i++)
        {
            var m = NestingSizes[i];
            var prefix = input.Narrow(1, 0, m);
            logits[i] = Efficient
                ? Tensor.Linear(prefix, _heads[0].Weight.Value.Narrow(1, 0, m), _heads[0].Bias!.Value)
                : _heads[i].Forward(prefix);
        }
        return Tensor.Stack(logits, 1);
    }

    /// <summary>Validates nesting sizes (non-empty, distinct, in [1, d]) and returns them ascending.</summary>
    /// <exception cref="ArgumentException">The message names the offending size.</exception>
    public static int[] CheckSizes(IReadOnlyList<int> sizes, long representationSize, string paramName)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        if (sizes.Count == 0) throw new ArgumentException("at least one nesting size is needed", paramName);
        foreach (var m in sizes)
        {
            if (m < 1 || m > representationSize)
            {
                throw new ArgumentException($"nesting size {m} is outside [1, {representationSize}] (the representation has {representationSize} dims)", paramName);
            }
        }
        if (sizes.Distinct().Count() != sizes.Count) throw new ArgumentException($"nesting sizes must be distinct, got [{string.Join(", ", sizes)}]", paramName);
        return [.. sizes.Order()];
    }
}
