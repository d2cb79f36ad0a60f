namespace LowRankTrainer.Adapters;

/// <summary>
/// What every adapter method shares (PEFT's <c>PeftConfig</c> fields): which layers to adapt (Linear; Conv2d too for a method that supports it), what
/// else trains, and the seed of the adapter's initialisation. Each method derives a record with its own
/// hyperparameters (<see cref="Lora.LoraOptions"/>) and registers it in <see cref="AdapterRegistry"/>.
/// </summary>
/// <remarks>
/// Targeting follows PEFT's <c>check_target_module_exists</c> (see <see cref="TargetSelector"/>):
/// <see cref="TargetModules"/> entries match a dotted module name exactly or as a suffix after a dot
/// (<c>q_proj</c> matches <c>layers.0.attn.q_proj</c>); the single entry <c>all-linear</c> selects every
/// Linear except the output head, <c>all</c> every Linear (and Conv2d, for a method that supports Conv2d) including it;
/// <see cref="TargetRegex"/> is a full-match regular expression instead.
/// </remarks>
public abstract record AdapterOptions
{
    /// <summary>Suffixes of the module names to adapt, or <c>["all-linear"]</c> / <c>["all"]</c> (PEFT's list form of <c>target_modules</c>).</summary>
    public IReadOnlyList<string> TargetModules { get; init; } = [];

    /// <summary>A regular expression that must match a whole module name (PEFT's string form of <c>target_modules</c>); null: use <see cref="TargetModules"/>.</summary>
    public string? TargetRegex { get; init; }

    /// <summary>Modules never adapted, matched like <see cref="TargetModules"/> (PEFT's <c>exclude_modules</c>).</summary>
    public IReadOnlyList<string> ExcludeModules { get; init; } = [];

    /// <summary>A regular expression matching whole names of modules never adapted (PEFT's string form of <c>exclude_modules</c>); null: none.</summary>
    public string? ExcludeRegex { get; init; }

    /// <summary>
    /// Adapt only list-matched targets inside these layer indices (PEFT's <c>layers_to_transform</c>): the index is the
    /// number after the last <c>&lt;pattern&gt;.</c> in the module name (<c>blocks.3.attn.q_proj</c> → 3). Empty: every layer.
    /// </summary>
    public IReadOnlyList<int> LayersToTransform { get; init; } = [];

    /// <summary>
    /// Names of the layer list that <see cref="LayersToTransform"/> indexes (PEFT's <c>layers_pattern</c>, e.g. <c>layers</c>,
    /// <c>h</c>, <c>blocks</c>; regex fragments as in PEFT). Empty: any <c>name.N.</c> segment.
    /// </summary>
    public IReadOnlyList<string> LayersPattern { get; init; } = [];

    /// <summary>Modules trained in full and saved with the adapter, e.g. a new classification head (PEFT's <c>modules_to_save</c>).</summary>
    public IReadOnlyList<string> ModulesToSave { get; init; } = [];

    /// <summary>Which biases of the base train (PEFT's <c>bias</c>).</summary>
    public AdapterBias Bias { get; init; } = AdapterBias.None;

    /// <summary>
    /// Seed of the generator that draws every adapter tensor, layer by layer in module order
    /// (<c>adapter.init_seed</c>), so an adapter's initial state depends on neither the base's seed nor the data order.
    /// </summary>
    public ulong InitSeed { get; init; }
}
