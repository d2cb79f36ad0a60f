using LowRankTrainer.Torch;

namespace LowRankTrainer.Models.Transformers;

/// <summary>
/// HF's <c>ACT2FN</c> names used by the supported families: <c>gelu</c> (exact, x·Φ(x)), <c>gelu_new</c> /
/// <c>gelu_pytorch_tanh</c> (the tanh approximation ½x(1 + tanh(√(2/π)(x + 0.044715x³))), GPT-2's),
/// <c>relu</c>, <c>silu</c> / <c>swish</c> (x·σ(x), Llama's).
/// </summary>
public sealed class Activation
{
    private readonly Func<Tensor, Tensor> _apply;

    private Activation(string name, Func<Tensor, Tensor> apply)
    {
        Name = name;
        _apply = apply;
    }

    /// <summary>The HF name (saved back into config.json).</summary>
    public string Name { get; }

    /// <summary>The activation of <paramref name="name"/>.</summary>
    /// <exception cref="InvalidDataException">An unknown name; the message names <paramref name="source"/> and the known ones.</exception>
    public static Activation Parse(string name, string source) => name switch
    {
        "gelu" => new(name, x => x.Gelu()),
        "gelu_new" or "gelu_pytorch_tanh" => new(name, x => x.Gelu(tanhApproximation: true)),
        "relu" => new(name, x => x.Relu()),
        "silu" or "swish" => new(name, x => x.Silu()),
        _ => throw new InvalidDataException($"{source}: activation '{name}' is not supported; known: gelu, gelu_new, gelu_pytorch_tanh, relu, silu, swish"),
    };

    /// <summary>Applies the activation.</summary>
    public Tensor Apply(Tensor x) => _apply(x);
}
