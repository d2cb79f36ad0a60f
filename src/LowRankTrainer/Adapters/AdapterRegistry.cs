using LowRankTrainer.Adapters.Lora;

namespace LowRankTrainer.Adapters;

/// <summary>
/// Every adapter method by name (PEFT's <c>register_peft_method</c>). Adding a method is one line here
/// plus its folder under <c>Adapters/&lt;Method&gt;/</c>.
/// </summary>
public static class AdapterRegistry
{
    private static readonly IAdapterMethod[] Registered =
    [
        new LoraMethod(),
        new LoraXs.LoraXsMethod(),
        new SvFit.SvFitMethod(),
        new LoraSb.LoraSbMethod(),
        new RandLora.RandLoraMethod(),
        new Lotr.LotrMethod(),
        new Intrinsic.IntrinsicMethod(),
    ];

    /// <summary>The registered methods, in registration order.</summary>
    public static IReadOnlyList<IAdapterMethod> Methods => Registered;

    /// <summary>The method called <paramref name="name"/> (case-insensitive).</summary>
    /// <exception cref="ArgumentException">No such method; the message lists the known names.</exception>
    public static IAdapterMethod Get(string name) =>
        Registered.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"unknown adapter method '{name}'; known: {string.Join(", ", Registered.Select(m => m.Name))}", nameof(name));

    /// <summary>The method whose PEFT <c>peft_type</c> is <paramref name="peftType"/> (as in <c>adapter_config.json</c>).</summary>
    /// <exception cref="ArgumentException">No such method.</exception>
    public static IAdapterMethod ForPeftType(string peftType) =>
        Registered.FirstOrDefault(m => string.Equals(m.PeftType, peftType, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"unsupported peft_type '{peftType}'; known: {string.Join(", ", Registered.Select(m => m.PeftType))}", nameof(peftType));

    /// <summary>The method that takes options of <paramref name="options"/>'s type.</summary>
    /// <exception cref="ArgumentException">No method takes that options type.</exception>
    public static IAdapterMethod ForOptions(AdapterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Registered.FirstOrDefault(m => m.OptionsType == options.GetType())
               ?? throw new ArgumentException($"no adapter method takes {options.GetType().Name}", nameof(options));
    }
}
