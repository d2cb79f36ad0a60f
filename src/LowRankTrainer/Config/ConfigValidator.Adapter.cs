using System.Globalization;
using System.Text.RegularExpressions;
using LowRankTrainer.Adapters;

namespace LowRankTrainer.Config;

// The adapter checks: targets, patterns, method keys.
internal sealed partial class ConfigValidator
{
    private void CheckAdapter(AdapterConfig a)
    {
        // Every registered method is a valid choice, so a new method needs no change here.
        string[] methods = [AdapterConfigMapper.None, .. AdapterRegistry.Methods.Select(m => m.Name)];
        Choice("adapter.method", a.Method, methods);
        for (var i = 0; i < a.ModulesToSave.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(a.ModulesToSave[i])) Add($"adapter.modules_to_save[{i}]", ConfigErrorCodes.OutOfRange, "adapter.modules_to_save entries must be module names, not empty");
        }
        for (var i = 0; i < a.TargetModules.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(a.TargetModules[i])) Add($"adapter.target_modules[{i}]", ConfigErrorCodes.OutOfRange, "adapter.target_modules entries must be module names, not empty");
        }
        for (var i = 0; i < a.ExcludeModules.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(a.ExcludeModules[i])) Add($"adapter.exclude_modules[{i}]", ConfigErrorCodes.OutOfRange, "adapter.exclude_modules entries must be module names, not empty");
        }
        if (a.R is { } rank) Range(rank >= 1, "adapter.r", ">= 1", rank);
        if (a.LoraAlpha is { } loraAlpha) Range(loraAlpha > 0, "adapter.lora_alpha", "> 0", loraAlpha);
        Range(a.InitStd >= 0, "adapter.init_std", ">= 0", a.InitStd);
        Range(a.SvfitThreshold is > 0 and <= 1, "adapter.svfit_threshold", "in (0, 1]", a.SvfitThreshold);
        Choice("adapter.svfit_criterion", a.SvfitCriterion, ["energy", "sum"]);
        Range(a.LoraSbNumSamples >= 1, "adapter.lora_sb_num_samples", ">= 1", a.LoraSbNumSamples);
        Range(a.LoraDropout is >= 0 and < 1, "adapter.lora_dropout", "in [0, 1)", a.LoraDropout);
        Range(a.RandloraAlpha > 0, "adapter.randlora_alpha", "> 0", a.RandloraAlpha);
        Range(a.RandloraDropout is >= 0 and < 1, "adapter.randlora_dropout", "in [0, 1)", a.RandloraDropout);
        Choice("adapter.randlora_scaling", a.RandloraScaling, ["peft", "paper"]);
        Range(a.ProjectionPrngKey >= 0, "adapter.projection_prng_key", ">= 0", a.ProjectionPrngKey);
        if (a.Method == "randlora" && a.ProjectionSeed is not null && a.ProjectionPrngKey != 0)
        {
            Add("adapter.projection_seed", ConfigErrorCodes.Conflict, $"adapter.projection_seed and adapter.projection_prng_key (PEFT's name) both seed RandLoRA's bases; keep one (adapter.projection_prng_key is set at {At("adapter.projection_prng_key")})");
        }
        if (a.Sparse && a.VerySparse) Add("adapter.very_sparse", ConfigErrorCodes.OutOfRange, "adapter.sparse and adapter.very_sparse cannot both be true");
        Range(a.LotrScale > 0, "adapter.lotr_scale", "> 0", a.LotrScale);
        Choice("adapter.lotr_init", a.LotrInit, ["normal", "scaled"]);
        Choice("adapter.init_lora_weights", a.InitLoraWeights, ["true", "gaussian"]);
        foreach (var (key, r) in a.RankPattern) Range(r >= 1, "adapter.rank_pattern", $">= 1 for every key ('{key}')", r);
        foreach (var (key, alpha) in a.AlphaPattern) Range(alpha > 0, "adapter.alpha_pattern", $"> 0 for every key ('{key}')", alpha);
        if (a.ExcludeRegex is not null && a.ExcludeModules.Count > 0)
        {
            Add("adapter.exclude_regex", ConfigErrorCodes.Conflict, $"adapter.exclude_regex and adapter.exclude_modules cannot both be set; keep one (adapter.exclude_modules is set at {At("adapter.exclude_modules")})");
        }
        if (a.LayersToTransform.Count > 0 && a.TargetRegex is not null)
        {
            Add("adapter.layers_to_transform", ConfigErrorCodes.Conflict, "adapter.layers_to_transform filters a target_modules list; with adapter.target_regex put the layer indices into the regex");
        }
        if (a.LayersPattern.Count > 0 && a.LayersToTransform.Count == 0)
        {
            Add("adapter.layers_pattern", ConfigErrorCodes.Conflict, "adapter.layers_pattern is used only with adapter.layers_to_transform");
        }
        for (var i = 0; i < a.LayersToTransform.Count; i++) Range(a.LayersToTransform[i] >= 0, $"adapter.layers_to_transform[{i}]", ">= 0", a.LayersToTransform[i]);
        foreach (var (key, pattern) in new[] { ("adapter.target_regex", a.TargetRegex), ("adapter.exclude_regex", a.ExcludeRegex) }.Concat(a.RankPattern.Keys.Concat(a.AlphaPattern.Keys).Select(k => ("adapter.rank_pattern", (string?)k))))
        {
            if (pattern is null) continue;
            try
            {
                _ = new Regex(pattern, RegexOptions.CultureInvariant);
            }
            catch (ArgumentException e)
            {
                Add(key, ConfigErrorCodes.OutOfRange, $"{key}: '{pattern}' is not a regular expression ({e.Message})");
            }
        }

        var isNone = a.Method == AdapterConfigMapper.None;
        var known = isNone || AdapterRegistry.Methods.Any(m => m.Name == a.Method);
        if (!known) return;
        var defaults = new AdapterConfig();
        if (isNone)
        {
            if (a.TargetModules.Count > 0 || a.TargetRegex is not null)
            {
                Add(a.TargetRegex is not null ? "adapter.target_regex" : "adapter.target_modules", ConfigErrorCodes.Conflict,
                    $"adapter targets need an adapter method, but adapter.method is none (at {At("adapter.method")}); " +
                    $"set it to one of {string.Join(", ", methods.Skip(1))}, or use adapter.modules_to_save alone to train whole modules");
            }
            if (a.ExcludeModules.Count > 0) Add("adapter.exclude_modules", ConfigErrorCodes.Conflict, $"adapter.exclude_modules needs an adapter method, but adapter.method is none (at {At("adapter.method")})");
            if (a.Bias != defaults.Bias) Add("adapter.bias", ConfigErrorCodes.Conflict, $"adapter.bias needs an adapter method, but adapter.method is none (at {At("adapter.method")})");
            if (a.InitSeed is not null) Add("adapter.init_seed", ConfigErrorCodes.Conflict, $"adapter.init_seed needs an adapter method, but adapter.method is none (at {At("adapter.method")})");
        }
        else
        {
            if (a.TargetModules.Count == 0 && a.TargetRegex is null)
            {
                Add("adapter.method", ConfigErrorCodes.Missing,
                    $"adapter.method {a.Method} needs adapter.target_modules (module-name suffixes such as [layers.0], or all-linear) or adapter.target_regex");
            }
            if (a.TargetModules.Count > 0 && a.TargetRegex is not null)
            {
                Add("adapter.target_regex", ConfigErrorCodes.Conflict, $"give adapter.target_modules (at {At("adapter.target_modules")}) or adapter.target_regex, not both");
            }
            foreach (var keyword in new[] { TargetSelector.AllLinear, TargetSelector.All })
            {
                if (a.TargetModules.Contains(keyword) && a.TargetModules.Count > 1)
                {
                    Add("adapter.target_modules", ConfigErrorCodes.Conflict, $"adapter.target_modules {keyword} stands alone; do not list it with other names");
                }
            }
            var method = AdapterRegistry.Get(a.Method);
            if (a.Bias is not ("none" or "all") && a.Bias != method.Name + "_only")
            {
                Add("adapter.bias", ConfigErrorCodes.InvalidChoice, $"adapter.bias must be one of none, all, {method.Name}_only (got '{a.Bias}')");
            }
            if (a.Projection is not ("fastfood" or "dense" or "sparse"))
            {
                Add("adapter.projection", ConfigErrorCodes.InvalidChoice, $"adapter.projection must be one of fastfood, dense, sparse (got '{a.Projection}')");
            }
            if (a.D is < 1) Add("adapter.d", ConfigErrorCodes.OutOfRange, $"adapter.d (the intrinsic dimension) must be at least 1 (got {a.D})");
            if (a.MaxProjectionMb < 0) Add("adapter.max_projection_mb", ConfigErrorCodes.OutOfRange, $"adapter.max_projection_mb must be ≥ 0 (got {a.MaxProjectionMb})");
        }
        // A method-specific key set away from its default must be one the method takes (the writer saves every key, so defaults are always fine).
        foreach (var key in AdapterConfigMapper.KeysNotValidFor(a))
        {
            Add("adapter." + key, ConfigErrorCodes.Conflict,
                $"adapter.{key} is not valid for adapter.method {a.Method} (at {At("adapter.method")}); it applies to {string.Join(", ", AdapterConfigMapper.MethodsTaking(key))}");
        }
    }
}
