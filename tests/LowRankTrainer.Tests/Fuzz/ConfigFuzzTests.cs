using System.Text;
using System.Text.RegularExpressions;
using LowRankTrainer.Config;
using LowRankTrainer.Tests.Config;
using Xunit.Abstractions;

namespace LowRankTrainer.Tests.Fuzz;

/// <summary>
/// Fuzzes the config loader (issue #10) with what <c>lrt validate</c> runs, load + validate, never a model build: a
/// copy of every shipped config under <c>configs/</c>, then one to three mutations of the YAML text of the config or of
/// a file in its <c>base:</c> chain (delete, insert, duplicate or swap lines, re-indent, replace a scalar with another
/// type, misspell a key, truncate, insert characters or raw bytes such as invalid UTF-8, NUL or a tab, re-point
/// <c>base:</c>). The loader must succeed or return diagnostics, each located <c>file(line,col)</c> in one of the case's
/// files; any exception fails the case.
/// </summary>
public sealed class ConfigFuzzTests(ITestOutputHelper output)
{
    private static string ConfigsDir => Path.Combine(ConfigTestFiles.RepoRoot(), "configs");

    private static readonly Lazy<Dictionary<string, string>> Shipped = new(() =>
        Directory.EnumerateFiles(ConfigsDir, "*.y*ml", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .ToDictionary(f => Path.GetRelativePath(ConfigsDir, f).Replace('\\', '/'), File.ReadAllText));

    private static readonly Regex BaseLine = new(@"^base:\s*(\S+)", RegexOptions.Multiline | RegexOptions.CultureInvariant);

    private static readonly string[] Scalars =
    [
        "text", "-1", "0", "1e308", "-1e308", "99999999999999999999", "2147483648", "-2147483649", "", "[1, 2]", "[]", "{a: 1}", "{}",
        "null", "~", "NaN", ".nan", ".inf", "-.inf", "true", "'quoted'", "\"unterminated", "[", "{", "]", "&anchor value", "*alias",
        "!!binary AAAA", "!!python/object:x {}", "- item", "0x10", "1_000", "1e-320", "|", ">", "'", "@", "`", "%YAML 1.2", "---", "...",
        "? key", "a: b: c", "[[[[[[[[[[1]]]]]]]]]]", "\"\\u0000\"", "\"\\x\"", "&a [*a]", "5 # comment", "[a, {b: [c, {d: e}]}]",
    ];

    [Fact]
    public void Fuzz_ShippedConfigs_LoadOrReportLocatedDiagnostics() => FuzzHarness.Run(output, nameof(ConfigFuzzTests), c =>
    {
        var r = c.Random;
        var shipped = Shipped.Value;
        var root = Path.Combine(c.Folder, "configs");
        var target = r.Pick(shipped.Keys.ToList());
        c.Note($"config {target}");
        // The config, its base: chain and the files a re-pointed base: may name, at their places under configs/
        // (writing all of configs/ per case would cost more than loading it).
        var chain = Chain(target);
        foreach (var rel in chain.Append("quickstart.yaml").Append("defaults/train.yaml").Distinct(StringComparer.Ordinal))
        {
            var path = Path.Combine(root, rel);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, shipped[rel]);
        }
        // Mutate the config itself, or (a third of the time, where it has one) a file of its base: chain.
        var victim = chain.Count > 1 && r.Next(3) == 0 ? r.Pick(chain.Skip(1).ToList()) : target;
        var bytes = Encoding.UTF8.GetBytes(shipped[victim]);
        for (var n = 1 + r.Next(3); n > 0; n--) bytes = Mutate(r, bytes, c, victim);
        File.WriteAllBytes(Path.Combine(root, victim), bytes);

        var loaded = ConfigLoader.Load(Path.Combine(root, target));
        if (loaded.Success) return "ok";
        Assert.NotEmpty(loaded.Diagnostics);
        foreach (var d in loaded.Diagnostics) CheckLocated(d);
        return "diagnostics " + string.Join(",", loaded.Diagnostics.Select(d => d.Code).Distinct().Order(StringComparer.Ordinal));
    });

    /// <summary>
    /// A diagnostic names a file that exists (one of the case's configs, or whatever file a re-pointed base: read) and a
    /// line and column in it.
    /// </summary>
    private static void CheckLocated(ConfigDiagnostic d)
    {
        var text = d.ToString();
        if (d.Location.File is not { } file || !File.Exists(file))
        {
            throw new FuzzFailure("no file: " + d.Code, $"the diagnostic names no file that was read: {text}");
        }
        if (d.Location.Line < 1 || d.Location.Column < 1) throw new FuzzFailure("no line: " + d.Code, $"the diagnostic has no line and column: {text}");
        if (!text.Contains($"({d.Location.Line},{d.Location.Column}): error LRT", StringComparison.Ordinal) || d.Message.Length == 0)
        {
            throw new FuzzFailure("format: " + d.Code, $"the diagnostic is not file(line,col): error LRTxxxx: message: {text}");
        }
    }

    /// <summary>The shipped config and the shipped files its base: lines name, as paths relative to configs/.</summary>
    private static List<string> Chain(string rel)
    {
        var chain = new List<string>();
        while (!chain.Contains(rel) && Shipped.Value.TryGetValue(rel, out var text))
        {
            chain.Add(rel);
            var match = BaseLine.Match(text);
            if (!match.Success) break;
            var next = Path.GetFullPath(Path.Combine(ConfigsDir, Path.GetDirectoryName(rel)!, match.Groups[1].Value));
            rel = Path.GetRelativePath(ConfigsDir, next).Replace('\\', '/');
        }
        return chain;
    }

    private static byte[] Mutate(Random r, byte[] bytes, FuzzCase c, string file)
    {
        // Raw bytes first: invalid UTF-8, NUL and control bytes cannot go through a string.
        if (r.Next(8) == 0)
        {
            var at = r.Next(bytes.Length + 1);
            byte[] insert = r.Pick<byte[]>([[0xFF], [0xC3], [0xE2, 0x82], [0x00], [0x09], [0x0D], [0xEF, 0xBB, 0xBF], [0x1B], [0xF0, 0x9F, 0x98, 0x80], [(byte)r.Next(256)]]);
            c.Note($"{file}: insert bytes {Convert.ToHexString(insert)} at {at}");
            return [.. bytes.AsSpan(0, at), .. insert, .. bytes.AsSpan(at)];
        }
        var text = Encoding.UTF8.GetString(bytes);
        var lines = text.Split('\n').ToList();
        int Line() => r.Next(lines.Count);
        switch (r.Next(11))
        {
            case 0:
            {
                var i = Line();
                c.Note($"{file}: delete line {i + 1} ({lines[i]})");
                lines.RemoveAt(i);
                break;
            }
            case 1:
            {
                var i = r.Next(lines.Count + 1);
                var key = r.Pick(["model", "train", "data", "adapter", "loss", "eval", "base", "name", "hidden_sizes", "learning_rate", "r", "dims", "x"]);
                var line = new string(' ', r.Pick([0, 2, 4, 3, 1])) + key + r.Pick([":", ": ", ": " + r.Pick(Scalars), ":" + r.Pick(Scalars), " " + r.Pick(Scalars)]);
                c.Note($"{file}: insert line {i + 1}: {line}");
                lines.Insert(i, line);
                break;
            }
            case 2:
            {
                var i = Line();
                c.Note($"{file}: duplicate line {i + 1} ({lines[i]})");
                lines.Insert(i, lines[i]);
                break;
            }
            case 3:
            {
                int i = Line(), j = Line();
                c.Note($"{file}: swap lines {i + 1} and {j + 1}");
                (lines[i], lines[j]) = (lines[j], lines[i]);
                break;
            }
            case 4:
            {
                var i = Line();
                var indent = r.Pick(["", " ", "  ", "    ", "\t", "      ", " \t"]);
                c.Note($"{file}: re-indent line {i + 1} with '{indent}'");
                lines[i] = indent + lines[i].TrimStart();
                break;
            }
            case 5 or 6:
            {
                // Replace a value: the text after "key:" on a line that has one, or a list item.
                var candidates = Enumerable.Range(0, lines.Count).Where(k => lines[k].Contains(':', StringComparison.Ordinal) || lines[k].TrimStart().StartsWith('-')).ToList();
                if (candidates.Count == 0) break;
                var i = r.Pick(candidates);
                var colon = lines[i].IndexOf(':', StringComparison.Ordinal);
                var cut = colon >= 0 ? colon + 1 : lines[i].IndexOf('-', StringComparison.Ordinal) + 1;
                var value = r.Pick(Scalars);
                c.Note($"{file}: line {i + 1} value -> '{value}' ({lines[i]})");
                lines[i] = lines[i][..cut] + " " + value;
                break;
            }
            case 7:
            {
                // A typo in a key: drop, double, swap or replace one character.
                var keyed = Enumerable.Range(0, lines.Count).Where(k => lines[k].IndexOf(':', StringComparison.Ordinal) > lines[k].Length - lines[k].TrimStart().Length).ToList();
                if (keyed.Count == 0) break;
                var i = r.Pick(keyed);
                var start = lines[i].Length - lines[i].TrimStart().Length;
                var end = lines[i].IndexOf(':', StringComparison.Ordinal);
                var at = start + r.Next(end - start);
                var chars = lines[i].ToCharArray().ToList();
                switch (r.Next(4))
                {
                    case 0: chars.RemoveAt(at); break;
                    case 1: chars.Insert(at, chars[at]); break;
                    case 2 when at + 1 < end: (chars[at], chars[at + 1]) = (chars[at + 1], chars[at]); break;
                    default: chars[at] = (char)('a' + r.Next(26)); break;
                }
                c.Note($"{file}: key typo on line {i + 1}: {lines[i]} -> {new string([.. chars])}");
                lines[i] = new string([.. chars]);
                break;
            }
            case 8:
            {
                var at = r.Next(text.Length + 1);
                c.Note($"{file}: truncate at char {at} of {text.Length}");
                return Encoding.UTF8.GetBytes(text[..at]);
            }
            case 9:
            {
                var at = r.Next(text.Length + 1);
                if (r.Next(2) == 0 && at < text.Length)
                {
                    c.Note($"{file}: delete char {at} ('{text[at]}')");
                    return Encoding.UTF8.GetBytes(text.Remove(at, 1));
                }
                var ch = r.Pick([":", "-", "#", "'", "\"", "[", "{", "&", "*", "!", "|", ">", "%", "@", "`", "\t", "\r", "\\", ",", "?", " ", "\u2028", "\uFEFF", "é"]);
                c.Note($"{file}: insert '{ch}' at char {at}");
                return Encoding.UTF8.GetBytes(text.Insert(at, ch));
            }
            default:
            {
                // Re-point base: at a missing file, itself (a cycle), a folder, another config, or nothing.
                var i = lines.FindIndex(l => l.StartsWith("base:", StringComparison.Ordinal));
                var value = r.Pick(["missing.yaml", Path.GetFileName(file), ".", "..", "../defaults/train.yaml", "../../defaults/train.yaml", "../quickstart.yaml",
                    "", "~", "[a.yaml]", "{a: b}", "/", "\"\"", "../../../../../../../../etc/passwd", new string('a', 300) + ".yaml", "a\\0b.yaml", "\"a\\0b.yaml\"", "\"\\t\""]);
                var line = "base: " + value;
                if (i < 0) lines.Insert(0, line);
                else lines[i] = line;
                c.Note($"{file}: {line}");
                break;
            }
        }
        return Encoding.UTF8.GetBytes(string.Join('\n', lines));
    }
}
