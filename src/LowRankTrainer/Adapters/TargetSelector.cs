using System.Text.RegularExpressions;
using LowRankTrainer.Models;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Adapters;

/// <summary>
/// A layer chosen for adaptation: its dotted name, its parent and its name in the parent. It is a <see cref="Linear"/>,
/// or, for a method that declares <see cref="IAdapterMethod.SupportsConv2d"/>, possibly a <see cref="Conv2d"/>.
/// </summary>
/// <param name="Name">Dotted module name, e.g. <c>layers.0</c>.</param>
/// <param name="Parent">The module that holds it (where the wrapper goes).</param>
/// <param name="ChildName">Its name inside <paramref name="Parent"/>.</param>
/// <param name="BaseModule">The layer itself (what the wrapper's <see cref="AdapterLayer.BaseModule"/> will be).</param>
public sealed record AdapterTarget(string Name, Module Parent, string ChildName, Module<Tensor, Tensor> BaseModule)
{
    /// <summary>The layer as a <see cref="Linear"/>: every target a Linear-only method receives is one.</summary>
    /// <exception cref="InvalidOperationException">The target is a Conv2d (only a method that supports Conv2d receives one).</exception>
    public Linear Layer => BaseModule as Linear ?? throw new InvalidOperationException($"adapter target '{Name}' is a {BaseModule.GetType().Name}, not a Linear");
}

/// <summary>
/// Chooses the layers to adapt, with PEFT's rules (<c>tuners_utils.check_target_module_exists</c>): a
/// <see cref="AdapterOptions.TargetModules"/> entry <c>t</c> matches module <c>k</c> when <c>k == t</c> or
/// <c>k</c> ends with <c>"." + t</c>; <see cref="AdapterOptions.TargetRegex"/> must match all of <c>k</c>;
/// <c>all-linear</c> takes every Linear except the output head (<see cref="IClassifierModel.HeadName"/>), <c>all</c>
/// every Linear including the head, and every Conv2d too when the method supports Conv2d
/// (<see cref="IAdapterMethod.SupportsConv2d"/>: the intrinsic subspace, where Li et al. project every parameter).
/// A matched module of another type (a Conv2d for a Linear-only method, a container, a norm) is an error naming the
/// module and the method.
/// Excluded modules (<see cref="AdapterOptions.ExcludeModules"/> by the list rule, or the full-match
/// <see cref="AdapterOptions.ExcludeRegex"/>), <see cref="AdapterOptions.ModulesToSave"/> and anything inside them are
/// skipped. With <see cref="AdapterOptions.LayersToTransform"/>, a list-matched module is kept only when the number
/// after its last <c>&lt;pattern&gt;.</c> segment (PEFT: <c>.*\.{pattern}\.(\d+)\.</c>; here the leading <c>.*\.</c>
/// is optional, so a top-level <c>blocks.3.q_proj</c> counts too) is one of the listed indices.
/// </summary>
public static class TargetSelector
{
    /// <summary>The keyword that selects every Linear layer but the head.</summary>
    public const string AllLinear = "all-linear";

    /// <summary>
    /// The keyword that selects every Linear layer, the head included, and every Conv2d for a method that supports
    /// Conv2d (the intrinsic-subspace default: Li et al. project every parameter).
    /// </summary>
    public const string All = "all";

    /// <summary>The targets in module order, for the method that takes <paramref name="options"/> (<see cref="AdapterRegistry.ForOptions"/>).</summary>
    /// <exception cref="ArgumentException">As <see cref="Select(Module, AdapterOptions, IAdapterMethod)"/>; also when no registered method takes the options.</exception>
    public static IReadOnlyList<AdapterTarget> Select(Module model, AdapterOptions options) =>
        Select(model, options, AdapterRegistry.ForOptions(options));

    /// <summary>The targets of <paramref name="method"/> in module order.</summary>
    /// <exception cref="ArgumentException">
    /// Nothing matches (the message lists the model's module names and types), a matched module is not a layer type the
    /// method adapts (the message names the module, its type and the method), the model already holds adapter layers,
    /// or both a list and a regex are given.
    /// </exception>
    public static IReadOnlyList<AdapterTarget> Select(Module model, AdapterOptions options, IAdapterMethod method)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(method);
        if (options.TargetRegex is not null && options.TargetModules.Count > 0)
        {
            throw new ArgumentException("give adapter targets either as a list (target_modules) or as a regex, not both", nameof(options));
        }
        if (options.ExcludeRegex is not null && options.ExcludeModules.Count > 0)
        {
            throw new ArgumentException("give excluded modules either as a list (exclude_modules) or as a regex, not both", nameof(options));
        }
        if (options.TargetRegex is not null && options.LayersToTransform.Count > 0)
        {
            throw new ArgumentException("layers_to_transform filters a target_modules list; with a target regex put the layer indices into the regex", nameof(options));
        }
        var modules = model.NamedModules().Where(m => m.Name.Length > 0).ToList();
        if (modules.Any(m => m.Module is AdapterLayer))
        {
            throw new ArgumentException("the model already holds adapter layers; inject into a fresh base model", nameof(model));
        }
        var conv = method.SupportsConv2d;
        bool Adaptable(Module m) => m is Linear || (conv && m is Conv2d);
        var kinds = conv ? "Linear or Conv2d" : "Linear";
        var allLinear = options.TargetRegex is null && options.TargetModules.Contains(AllLinear, StringComparer.Ordinal);
        var all = options.TargetRegex is null && options.TargetModules.Contains(All, StringComparer.Ordinal);
        var head = allLinear && model is IClassifierModel c ? c.HeadName : null;
        var regex = options.TargetRegex is { } r ? FullMatch(r) : null;
        var excludeRegex = options.ExcludeRegex is { } x ? FullMatch(x) : null;

        var targets = new List<AdapterTarget>();
        foreach (var (name, module) in modules)
        {
            var wanted = regex?.IsMatch(name) ?? (all ? Adaptable(module) : allLinear ? module is Linear && name != head : MatchesAny(name, options.TargetModules));
            if (wanted && options.LayersToTransform.Count > 0) wanted = LayerIndex(name, options.LayersPattern) is { } i && options.LayersToTransform.Contains(i);
            if (!wanted || MatchesAny(name, options.ExcludeModules) || excludeRegex?.IsMatch(name) == true || IsInside(name, options.ModulesToSave)) continue;
            if (!Adaptable(module) || module is not Module<Tensor, Tensor> layer)
            {
                var also = module is Conv2d ? $" (Conv2d layers are adapted by {string.Join(", ", AdapterRegistry.Methods.Where(m => m.SupportsConv2d).Select(m => m.Name))})" : "";
                throw new ArgumentException($"adapter target '{name}' is a {module.GetType().Name}; {method.Name} adapts only {kinds} layers{also}", nameof(options));
            }
            var cut = name.LastIndexOf('.');
            var parent = cut < 0 ? model : model.GetSubmodule(name[..cut]);
            targets.Add(new AdapterTarget(name, parent, name[(cut + 1)..], layer));
        }
        if (targets.Count == 0)
        {
            var wantedText = regex is not null ? $"regex '{options.TargetRegex}'" : $"target_modules [{string.Join(", ", options.TargetModules)}]";
            if (options.LayersToTransform.Count > 0)
            {
                wantedText += $" in layers_to_transform [{string.Join(", ", options.LayersToTransform)}]" +
                              (options.LayersPattern.Count > 0 ? $" of layers_pattern [{string.Join(", ", options.LayersPattern)}]" : "");
            }
            var listing = string.Join(", ", modules.Select(m => $"{m.Name} ({m.Module.GetType().Name})"));
            throw new ArgumentException($"adapter {wantedText} matched no {kinds} layer; the model's modules are: {listing}", nameof(options));
        }
        return targets;
    }

    /// <summary>PEFT's list rule: <paramref name="name"/> equals an entry or ends with "." + entry.</summary>
    public static bool MatchesAny(string name, IReadOnlyList<string> suffixes)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(suffixes);
        return suffixes.Any(t => name == t || name.EndsWith("." + t, StringComparison.Ordinal));
    }

    /// <summary>
    /// The layer index of <paramref name="name"/> by PEFT's rule, or null when no <c>pattern.N.</c> segment is in it:
    /// the patterns are tried in order and the first that matches gives the number after its last occurrence
    /// (the greedy <c>.*\.</c> of PEFT's <c>re.match(rf".*\.{pattern}\.(\d+)\.", key)</c>).
    /// </summary>
    public static int? LayerIndex(string name, IReadOnlyList<string> layersPattern)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(layersPattern);
        foreach (var pattern in layersPattern.Count == 0 ? ["[^.]*"] : layersPattern)
        {
            var m = Regex.Match(name, @"^(?:.*\.)?(?:" + pattern + @")\.(\d+)\.", RegexOptions.CultureInvariant);
            if (m.Success) return int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        }
        return null;
    }

    private static Regex FullMatch(string pattern) => new("^(?:" + pattern + ")$", RegexOptions.CultureInvariant);

    private static bool IsInside(string name, IReadOnlyList<string> modules) =>
        modules.Any(m => name == m || name.StartsWith(m + ".", StringComparison.Ordinal));
}
