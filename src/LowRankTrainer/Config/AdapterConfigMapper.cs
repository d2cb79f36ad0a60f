using LowRankTrainer.Adapters;
using LowRankTrainer.Adapters.Lora;

namespace LowRankTrainer.Config;

/// <summary>
/// The one place that turns the <c>adapter</c> section into a method's options record
/// (<see cref="AdapterOptions"/> and, for LoRA, <see cref="LoraOptions"/>).
/// </summary>
public static class AdapterConfigMapper
{
    /// <summary>The method name that means "no adapter".</summary>
    public const string None = "none";

    /// <summary>The options for <paramref name="adapter"/>'s method, or null for method <c>none</c>.</summary>
    /// <param name="adapter">The section.</param>
    /// <param name="trainSeed"><c>train.seed</c>, the default of <c>adapter.init_seed</c>.</param>
    /// <exception cref="ArgumentException">The method is not registered, or <c>bias</c> / <c>init_lora_weights</c> has an unknown value.</exception>
    public static AdapterOptions? ToOptions(AdapterConfig adapter, int trainSeed)
    {
        ArgumentNullException.ThrowIfNull(adapter);
        if (string.Equals(adapter.Method, None, StringComparison.Ordinal)) return null;
        var method = AdapterRegistry.Get(adapter.Method);
        var bias = adapter.Bias switch
        {
            "none" => AdapterBias.None,
            "all" => AdapterBias.All,
            var b when b == method.Name + "_only" => AdapterBias.AdapterOnly,
            var b => throw new ArgumentException($"adapter.bias must be none, all or {method.Name}_only (got '{b}')", nameof(adapter)),
        };
        var options = method.DefaultOptions with
        {
            TargetModules = adapter.TargetModules.ToArray(),
            TargetRegex = adapter.TargetRegex,
            ExcludeModules = adapter.ExcludeModules.ToArray(),
            ModulesToSave = adapter.ModulesToSave.ToArray(),
            Bias = bias,
            InitSeed = unchecked((ulong)(adapter.InitSeed ?? trainSeed)),
        };
        if (options is LoraOptions lora)
        {
            options = lora with
            {
                R = adapter.R,
                Alpha = adapter.LoraAlpha,
                Dropout = adapter.LoraDropout,
                UseRsLora = adapter.UseRslora,
                Init = adapter.InitLoraWeights switch
                {
                    "true" => LoraInit.KaimingUniform,
                    "gaussian" => LoraInit.Gaussian,
                    var i => throw new ArgumentException($"adapter.init_lora_weights must be true or gaussian (got '{i}')", nameof(adapter)),
                },
                RankPattern = new Dictionary<string, int>(adapter.RankPattern, StringComparer.Ordinal),
                AlphaPattern = new Dictionary<string, double>(adapter.AlphaPattern, StringComparer.Ordinal),
            };
        }
        return options;
    }

    /// <summary>Whether <paramref name="method"/> takes the LoRA keys (<c>r</c>, <c>lora_alpha</c>, …): its options are <see cref="LoraOptions"/>.</summary>
    public static bool IsLoraFamily(string method) =>
        AdapterRegistry.Methods.Any(m => string.Equals(m.Name, method, StringComparison.Ordinal) && typeof(LoraOptions).IsAssignableFrom(m.OptionsType));
}
