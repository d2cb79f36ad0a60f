namespace LowRankTrainer.Config;

/// <summary>Questions about the config keys themselves (the schema), for tools such as <c>lrt sweep</c>.</summary>
public static class ConfigKeys
{
    /// <summary>Whether <paramref name="keyPath"/> (<c>section.key</c>) exists and holds a list (<c>model.hidden_sizes</c>, <c>adapter.target_modules</c>, …).</summary>
    public static bool IsList(string keyPath)
    {
        ArgumentNullException.ThrowIfNull(keyPath);
        var dot = keyPath.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0) return false;
        var section = ConfigSchema.Sections.FirstOrDefault(s => s.Key == keyPath[..dot]);
        return section?.Field(keyPath[(dot + 1)..])?.Kind is ValueKind.IntList or ValueKind.StringList or ValueKind.TargetList;
    }
}
