using System.Text.Json;
using LowRankTrainer.Data;

namespace LowRankTrainer.Tokenizers;

/// <summary>
/// The strict field access shared by the <c>tokenizer.json</c> readers (<see cref="HfTokenizerJson"/>,
/// <see cref="HfWordPieceJson"/>): every failure is a <see cref="DataFormatException"/> naming the file and the
/// JSON path (<c>model.vocab["x"]</c>), so that a user can find what the loader refused.
/// </summary>
internal class HfJsonFields(string file)
{
    /// <summary>The file being read, as the errors name it.</summary>
    public string FilePath { get; } = file;

    public string TypeOf(JsonElement e, string at) => StringOf(e, at, "type");

    public string StringOf(JsonElement e, string at, string name)
    {
        var value = Required(e, at, name);
        if (value.ValueKind != JsonValueKind.String) throw Fail(Join(at, name), $"expected a string, got {Describe(value)}");
        return value.GetString()!;
    }

    public bool Bool(JsonElement e, string at, string name, bool absent)
    {
        if (!e.TryGetProperty(name, out var value)) return absent;
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Fail(Join(at, name), $"expected true or false, got {Describe(value)}"),
        };
    }

    public int NonNegativeInt(JsonElement e, string at)
    {
        if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt32(out var value) || value < 0)
        {
            throw Fail(at, $"expected a non-negative integer, got {Describe(e)}");
        }
        return value;
    }

    public JsonElement Required(JsonElement e, string at, string name) =>
        e.TryGetProperty(name, out var value) ? value : throw Fail(Join(at, name), "is missing");

    public void Expect(JsonElement e, JsonValueKind kind, string at, string what)
    {
        if (e.ValueKind != kind) throw Fail(at, $"expected {what}, got {Describe(e)}");
    }

    public void CheckFields(JsonElement e, string at, params string[] known)
    {
        foreach (var member in e.EnumerateObject())
        {
            if (Array.IndexOf(known, member.Name) < 0)
            {
                throw Fail(Join(at, member.Name), $"is not a field this loader supports (known here: {string.Join(", ", known)})");
            }
        }
    }

    public DataFormatException Fail(string at, string problem) => new(FilePath, $"{at}: {problem}");

    public static string Join(string at, string name) => at.Length == 0 ? name : at + "." + name;

    public static string Describe(JsonElement e)
    {
        var text = e.GetRawText();
        return text.Length <= 60 ? text : text[..60] + "...";
    }
}
