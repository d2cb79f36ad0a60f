namespace LowRankTrainer.Config;

/// <summary>
/// Where a config value came from: a position in a YAML file (1-based line and column), or the
/// N-th command-line override (1-based) with its text.
/// </summary>
/// <param name="File">The YAML file as displayed (null for overrides).</param>
/// <param name="Line">1-based line; 0 when the whole file is meant.</param>
/// <param name="Column">1-based column; 0 when the whole file is meant.</param>
/// <param name="OverrideIndex">1-based index of the override; 0 for file positions.</param>
/// <param name="OverrideText">The override token, e.g. <c>train.learning_rate=3e-4</c>.</param>
public sealed record ConfigLocation(string? File, int Line, int Column, int OverrideIndex = 0, string? OverrideText = null)
{
    /// <summary>A position in a YAML file.</summary>
    public static ConfigLocation InFile(string file, int line, int column) => new(file, line, column);

    /// <summary>The <paramref name="index"/>-th (1-based) override token.</summary>
    public static ConfigLocation ForOverride(int index, string text) => new(null, 0, 0, index, text);

    /// <summary>True when the value came from a command-line override.</summary>
    public bool IsOverride => OverrideIndex > 0;

    /// <summary>MSBuild style: <c>file.yaml(12,5)</c>, <c>file.yaml</c> or <c>&lt;override 2: a.b=v&gt;</c>.</summary>
    public override string ToString() =>
        IsOverride ? $"<override {OverrideIndex}: {OverrideText}>"
        : Line > 0 ? $"{File}({Line},{Column})"
        : File ?? "<config>";
}

/// <summary>One config error: where, a stable code (see <see cref="ConfigErrorCodes"/>) and a message.</summary>
/// <param name="Location">The offending key, value or override.</param>
/// <param name="Code">A stable code such as <c>LRT0201</c>.</param>
/// <param name="Message">What is wrong, naming the full key path (e.g. <c>train.learning_rate</c>).</param>
public sealed record ConfigDiagnostic(ConfigLocation Location, string Code, string Message)
{
    /// <summary>MSBuild style: <c>path/file.yaml(12,5): error LRT0201: train.learning_rate must be &gt; 0 (got 0)</c>.</summary>
    public override string ToString() => $"{Location}: error {Code}: {Message}";
}

/// <summary>The stable config error codes: LRT01xx structure (syntax, keys, types, files), LRT02xx values.</summary>
public static class ConfigErrorCodes
{
    /// <summary>The YAML is malformed (or not a mapping at the top).</summary>
    public const string Syntax = "LRT0100";
    /// <summary>A key the schema does not know.</summary>
    public const string UnknownKey = "LRT0101";
    /// <summary>A key given twice in one mapping.</summary>
    public const string DuplicateKey = "LRT0102";
    /// <summary>A value of the wrong type (e.g. text where a number belongs).</summary>
    public const string WrongType = "LRT0103";
    /// <summary>A command-line override that is not <c>a.b=value</c> or whose value is not YAML.</summary>
    public const string BadOverride = "LRT0104";
    /// <summary>A config or <c>base:</c> file that does not exist.</summary>
    public const string FileNotFound = "LRT0105";
    /// <summary>A <c>base:</c> chain that includes itself.</summary>
    public const string BaseCycle = "LRT0106";
    /// <summary>A value outside its allowed range.</summary>
    public const string OutOfRange = "LRT0201";
    /// <summary>A value that is not one of the allowed names.</summary>
    public const string InvalidChoice = "LRT0202";
    /// <summary>Keys that cannot be set together.</summary>
    public const string Conflict = "LRT0203";
    /// <summary>A key that another key's value makes necessary.</summary>
    public const string Missing = "LRT0204";

    /// <summary>Every code with a one-line description, in code order.</summary>
    public static IReadOnlyList<(string Code, string Description)> All { get; } =
    [
        (Syntax, "malformed YAML"),
        (UnknownKey, "unknown key"),
        (DuplicateKey, "duplicate key"),
        (WrongType, "value of the wrong type"),
        (BadOverride, "malformed command-line override"),
        (FileNotFound, "config or base file not found"),
        (BaseCycle, "base: inheritance cycle"),
        (OutOfRange, "value out of range"),
        (InvalidChoice, "value not among the allowed names"),
        (Conflict, "conflicting keys"),
        (Missing, "required key missing"),
    ];
}

/// <summary>The outcome of <see cref="ConfigLoader.Load"/>: the config, or the diagnostics that prevent it.</summary>
public sealed class ConfigLoadResult
{
    internal ConfigLoadResult(ExperimentConfig? config, IReadOnlyList<ConfigDiagnostic> diagnostics)
    {
        Config = config;
        Diagnostics = diagnostics;
    }

    /// <summary>The resolved and validated config; null when there are diagnostics.</summary>
    public ExperimentConfig? Config { get; }

    /// <summary>Every error found, in file order within each stage.</summary>
    public IReadOnlyList<ConfigDiagnostic> Diagnostics { get; }

    /// <summary>True when the config loaded without errors.</summary>
    public bool Success => Config is not null;
}
