using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace LowRankTrainer.Config;

/// <summary>A YAML node that remembers where it came from (file position or override).</summary>
internal abstract class ConfigNode(ConfigLocation location)
{
    public ConfigLocation Location { get; } = location;
}

/// <summary>A scalar; <see cref="Quoted"/> scalars are always strings, plain ones may be null/bool/number.</summary>
internal sealed class ScalarNode(ConfigLocation location, string value, bool quoted) : ConfigNode(location)
{
    public string Value { get; } = value;

    public bool Quoted { get; } = quoted;

    public bool IsNull => !Quoted && Value is "" or "~" or "null" or "Null" or "NULL";
}

internal sealed class SequenceNode(ConfigLocation location, IReadOnlyList<ConfigNode> items) : ConfigNode(location)
{
    public IReadOnlyList<ConfigNode> Items { get; } = items;
}

/// <summary>An ordered mapping with scalar keys (each key keeps its own position).</summary>
internal sealed class MappingNode(ConfigLocation location) : ConfigNode(location)
{
    public List<KeyValuePair<ScalarNode, ConfigNode>> Entries { get; } = [];

    public int IndexOf(string key) => Entries.FindIndex(e => e.Key.Value == key);

    public ConfigNode? Get(string key) => IndexOf(key) is var i and >= 0 ? Entries[i].Value : null;
}

/// <summary>Reads YAML text into a <see cref="ConfigNode"/> tree with YamlDotNet's parser events.</summary>
internal static class YamlTreeReader
{
    /// <summary>
    /// Parses one YAML document. Syntax errors and duplicate keys become diagnostics; returns null
    /// only when the text is not well-formed YAML. An empty document gives an empty mapping.
    /// </summary>
    public static ConfigNode? Read(string text, Func<Mark, ConfigLocation> locate, List<ConfigDiagnostic> diagnostics)
    {
        var parser = new Parser(new StringReader(text));
        var anchors = new Dictionary<string, ConfigNode>(StringComparer.Ordinal);
        var lastEnd = Mark.Empty;
        void Track(Mark end) => lastEnd = end;
        try
        {
            parser.Consume<StreamStart>();
            if (parser.TryConsume<StreamEnd>(out _)) return new MappingNode(locate(Mark.Empty));
            parser.Consume<DocumentStart>();
            var root = ReadNode(parser, locate, anchors, diagnostics, Track);
            parser.Consume<DocumentEnd>();
            if (parser.Accept<DocumentStart>(out var second))
            {
                diagnostics.Add(new(locate(second.Start), ConfigErrorCodes.Syntax, "a config holds one YAML document; found a second one"));
                return null;
            }
            return root;
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner throws this (instead of a SyntaxErrorException) for some unclosed
            // flow collections; the best position is the end of the last well-formed node.
            diagnostics.Add(new(locate(lastEnd), ConfigErrorCodes.Syntax, "malformed YAML: an unclosed [ ] or { } or a stray character after this point"));
            return null;
        }
        catch (YamlException e)
        {
            var message = e.InnerException is { } inner && e.Message.StartsWith("(Line", StringComparison.Ordinal) ? inner.Message : StripMark(e.Message);
            // For "While scanning/parsing X, found Y" errors Start is where X began and End is where Y is.
            var at = e.End.Line >= e.Start.Line && !e.End.Equals(Mark.Empty) ? e.End : e.Start;
            if (message.Contains("tab", StringComparison.Ordinal) && FirstTabIndent(text) is { } tabLine) at = new Mark(0, tabLine, 1);
            diagnostics.Add(new(locate(at), ConfigErrorCodes.Syntax, $"malformed YAML: {message}"));
            return null;
        }
    }

    /// <summary>The 1-based line of the first line indented with a tab (YamlDotNet reports the mapping's start instead).</summary>
    private static int? FirstTabIndent(string text)
    {
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var indent = lines[i].AsSpan()[..(lines[i].Length - lines[i].TrimStart(' ', '\t').Length)];
            if (indent.Contains('\t')) return i + 1;
        }
        return null;
    }

    private static string StripMark(string message)
    {
        // YamlDotNet prefixes "(Line: 3, Col: 1, Idx: 10) - (Line: ...): "; the location is rendered separately.
        if (!message.StartsWith("(Line", StringComparison.Ordinal)) return message;
        var colon = message.IndexOf("): ", StringComparison.Ordinal);
        return colon < 0 ? message : message[(colon + 3)..];
    }

    private static ConfigNode ReadNode(IParser parser, Func<Mark, ConfigLocation> locate, Dictionary<string, ConfigNode> anchors, List<ConfigDiagnostic> diagnostics, Action<Mark> track)
    {
        if (parser.Current is { } current0) track(current0.End);
        if (parser.TryConsume<AnchorAlias>(out var alias))
        {
            return anchors.TryGetValue(alias.Value.Value, out var target)
                ? target
                : throw new YamlException(alias.Start, alias.End, $"unknown alias '*{alias.Value}'");
        }
        ConfigNode node;
        AnchorName anchor;
        if (parser.TryConsume<Scalar>(out var scalar))
        {
            anchor = scalar.Anchor;
            node = new ScalarNode(locate(scalar.Start), scalar.Value, scalar.Style is not ScalarStyle.Plain);
        }
        else if (parser.TryConsume<SequenceStart>(out var seqStart))
        {
            anchor = seqStart.Anchor;
            var items = new List<ConfigNode>();
            while (!parser.TryConsume<SequenceEnd>(out _)) items.Add(ReadNode(parser, locate, anchors, diagnostics, track));
            node = new SequenceNode(locate(seqStart.Start), items);
        }
        else if (parser.TryConsume<MappingStart>(out var mapStart))
        {
            anchor = mapStart.Anchor;
            var map = new MappingNode(locate(mapStart.Start));
            while (!parser.TryConsume<MappingEnd>(out _))
            {
                var keyStart = parser.Current?.Start ?? Mark.Empty;
                var key = ReadNode(parser, locate, anchors, diagnostics, track);
                var value = ReadNode(parser, locate, anchors, diagnostics, track);
                if (key is not ScalarNode keyScalar)
                {
                    diagnostics.Add(new(locate(keyStart), ConfigErrorCodes.Syntax, "mapping keys must be plain names"));
                    continue;
                }
                var existing = map.IndexOf(keyScalar.Value);
                if (existing >= 0)
                {
                    var first = map.Entries[existing].Key.Location;
                    diagnostics.Add(new(keyScalar.Location, ConfigErrorCodes.DuplicateKey,
                        $"duplicate key '{keyScalar.Value}' (first given at line {first.Line}, column {first.Column})"));
                    continue;
                }
                map.Entries.Add(new(keyScalar, value));
            }
            node = map;
        }
        else
        {
            var current = parser.Current;
            throw new YamlException(current?.Start ?? Mark.Empty, current?.End ?? Mark.Empty, $"unexpected YAML event {current?.GetType().Name}");
        }
        if (!anchor.IsEmpty) anchors[anchor.Value] = node;
        return node;
    }
}
