using System.Globalization;
using System.Text;

namespace LowRankTrainer.Checkpoints.Safetensors;

/// <summary>One tensor as the writer lays it out: name, code, shape and byte range in the data buffer.</summary>
internal readonly record struct SafetensorsEntry(string Name, string DTypeCode, long[] Shape, long DataBegin, long DataEnd);

/// <summary>
/// Encodes a safetensors header the way the reference writer does (serde_json's compact output):
/// <c>{"__metadata__":{...},"name":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},...}</c>, no
/// whitespace, entries in data order, then spaces up to a multiple of 8 bytes so the data buffer
/// starts 8-aligned. Written by hand rather than with System.Text.Json so the bytes are exactly the
/// reference's: only <c>"</c>, <c>\</c> and control characters are escaped; other text is raw UTF-8.
/// </summary>
internal static class SafetensorsHeaderEncoder
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The padded header bytes (without the 8-byte length prefix).</summary>
    /// <param name="entries">Tensors in data order.</param>
    /// <param name="metadata">The <c>__metadata__</c> map, written with keys in ordinal order (deterministic output); omitted when null or empty.</param>
    public static byte[] Encode(IReadOnlyList<SafetensorsEntry> entries, IReadOnlyDictionary<string, string>? metadata)
    {
        var json = new StringBuilder(64 + (entries.Count * 96));
        json.Append('{');
        var first = true;
        if (metadata is { Count: > 0 })
        {
            AppendString(json, SafetensorsHeaderParser.MetadataKey);
            json.Append(":{");
            var firstKey = true;
            foreach (var key in metadata.Keys.Order(StringComparer.Ordinal))
            {
                if (!firstKey) json.Append(',');
                firstKey = false;
                AppendString(json, key);
                json.Append(':');
                AppendString(json, metadata[key] ?? throw new ArgumentException($"metadata value for '{key}' is null", nameof(metadata)));
            }
            json.Append('}');
            first = false;
        }
        foreach (var e in entries)
        {
            if (!first) json.Append(',');
            first = false;
            AppendString(json, e.Name);
            json.Append(":{\"dtype\":");
            AppendString(json, e.DTypeCode);
            json.Append(",\"shape\":[");
            for (var i = 0; i < e.Shape.Length; i++)
            {
                if (i > 0) json.Append(',');
                json.Append(e.Shape[i].ToString(CultureInfo.InvariantCulture));
            }
            json.Append("],\"data_offsets\":[")
                .Append(e.DataBegin.ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append(e.DataEnd.ToString(CultureInfo.InvariantCulture)).Append("]}");
        }
        json.Append('}');

        byte[] bytes;
        try
        {
            bytes = StrictUtf8.GetBytes(json.ToString());
        }
        catch (EncoderFallbackException e)
        {
            throw new ArgumentException("a tensor name or metadata string holds an unpaired UTF-16 surrogate and cannot be written as UTF-8", e);
        }
        var padded = (bytes.Length + 7) / 8 * 8;
        if (padded == bytes.Length) return bytes;
        var result = new byte[padded];
        bytes.CopyTo(result, 0);
        result.AsSpan(bytes.Length).Fill((byte)' ');
        return result;
    }

    private static void AppendString(StringBuilder json, string value)
    {
        json.Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': json.Append("\\\""); break;
                case '\\': json.Append("\\\\"); break;
                case '\b': json.Append("\\b"); break;
                case '\f': json.Append("\\f"); break;
                case '\n': json.Append("\\n"); break;
                case '\r': json.Append("\\r"); break;
                case '\t': json.Append("\\t"); break;
                case < ' ': json.Append("\\u00").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture)); break;
                default: json.Append(c); break;
            }
        }
        json.Append('"');
    }
}
