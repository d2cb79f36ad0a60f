using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using LowRankTrainer.Checkpoints.Safetensors;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Models.Transformers;

/// <summary>
/// The weight files of a Hugging Face checkpoint folder, as <c>save_pretrained</c> writes them: one
/// <c>model.safetensors</c>, or shards <c>model-0000i-of-0000n.safetensors</c> with
/// <c>model.safetensors.index.json</c> (<c>{"metadata": {"total_size": bytes}, "weight_map": {name: shard}}</c>).
/// </summary>
public static class HfWeightFiles
{
    /// <summary>The single-file name.</summary>
    public const string SingleFile = "model.safetensors";

    /// <summary>The shard index name.</summary>
    public const string IndexFile = "model.safetensors.index.json";

    /// <summary>HF's default <c>max_shard_size</c> ("5GB", decimal).</summary>
    public const long DefaultMaxShardBytes = 5_000_000_000;

    /// <summary>
    /// Reads every tensor of the checkpoint in <paramref name="folder"/> into memory (caller disposes them),
    /// with the file each came from.
    /// </summary>
    /// <exception cref="FileNotFoundException">Neither file is there, or the index names a missing shard.</exception>
    /// <exception cref="InvalidDataException">The index is malformed, a shard lacks a tensor the index puts in it, holds
    /// one the index does not list, or two shards hold the same name.</exception>
    public static (OrderedDictionary<string, Tensor> Tensors, Dictionary<string, string> SourceFile) ReadAll(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        var single = Path.Combine(folder, SingleFile);
        var index = Path.Combine(folder, IndexFile);
        var tensors = new OrderedDictionary<string, Tensor>(StringComparer.Ordinal);
        var source = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            if (File.Exists(single))
            {
                foreach (var (k, v) in SafetensorsFile.ReadAll(single))
                {
                    tensors.Add(k, v);
                    source[k] = single;
                }
                return (tensors, source);
            }
            if (!File.Exists(index))
                throw new FileNotFoundException($"'{folder}' holds neither {SingleFile} nor {IndexFile}", Path.Combine(folder, SingleFile));
            var map = ReadIndex(index);
            foreach (var shard in map.Values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
            {
                var path = Path.Combine(folder, shard);
                if (!File.Exists(path)) throw new FileNotFoundException($"{index} names the shard '{shard}', which is not in '{folder}'", path);
                var listed = map.Where(e => e.Value == shard).Select(e => e.Key).ToHashSet(StringComparer.Ordinal);
                using var file = SafetensorsFile.Open(path);
                var extra = file.Names.Where(n => !listed.Contains(n)).ToList();
                if (extra.Count > 0) throw new InvalidDataException($"{path} holds tensors {IndexFile} does not list under it: {string.Join(", ", extra.Take(10))}");
                var lacking = listed.Where(n => !file.Contains(n)).ToList();
                if (lacking.Count > 0) throw new InvalidDataException($"{path} lacks tensors {IndexFile} puts in it: {string.Join(", ", lacking.Take(10))}");
                foreach (var name in file.Names)
                {
                    tensors.Add(name, file.Load(name));
                    source[name] = path;
                }
            }
            return (tensors, source);
        }
        catch
        {
            foreach (var t in tensors.Values) t.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Writes <paramref name="tensors"/> into <paramref name="folder"/>: one file when they fit in
    /// <paramref name="maxShardBytes"/>, else shards filled in order (a tensor larger than the limit gets a shard of
    /// its own, as HF does) and the index. Stale weight files of an earlier save are removed after the new ones are
    /// in place, so a folder never mixes two saves and a failed save leaves the earlier one readable.
    /// </summary>
    public static void Write(string folder, IReadOnlyList<KeyValuePair<string, Tensor>> tensors, long maxShardBytes = DefaultMaxShardBytes)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxShardBytes, 1);
        Directory.CreateDirectory(folder);
        var metadata = new Dictionary<string, string> { ["format"] = "pt" };
        var shards = new List<List<KeyValuePair<string, Tensor>>> { new() };
        long current = 0, total = 0;
        foreach (var entry in tensors)
        {
            var bytes = entry.Value.NumEl * entry.Value.DType.ElementSize();
            if (current > 0 && current + bytes > maxShardBytes)
            {
                shards.Add([]);
                current = 0;
            }
            shards[^1].Add(entry);
            current += bytes;
            total += bytes;
        }
        var written = new List<string>();
        if (shards.Count == 1)
        {
            SafetensorsWriter.Write(Path.Combine(folder, SingleFile), shards[0], metadata);
            written.Add(SingleFile);
        }
        else
        {
            var weightMap = new JsonObject();
            for (var i = 0; i < shards.Count; i++)
            {
                var name = string.Create(CultureInfo.InvariantCulture, $"model-{i + 1:D5}-of-{shards.Count:D5}.safetensors");
                SafetensorsWriter.Write(Path.Combine(folder, name), shards[i], metadata);
                written.Add(name);
                foreach (var e in shards[i]) weightMap[e.Key] = name;
            }
            var sorted = new JsonObject();
            foreach (var (k, v) in weightMap.OrderBy(e => e.Key, StringComparer.Ordinal)) sorted[k] = v!.DeepClone();
            var index = new JsonObject { ["metadata"] = new JsonObject { ["total_size"] = total }, ["weight_map"] = sorted };
            WriteAtomically(Path.Combine(folder, IndexFile), index.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
            written.Add(IndexFile);
        }
        foreach (var stale in Directory.EnumerateFiles(folder, "model*.safetensors*"))
        {
            var name = Path.GetFileName(stale);
            if (!written.Contains(name) && (name == SingleFile || name == IndexFile || name.StartsWith("model-", StringComparison.Ordinal))) File.Delete(stale);
        }
    }

    /// <summary>Writes text under a temporary name and renames it over <paramref name="path"/>.</summary>
    internal static void WriteAtomically(string path, string text)
    {
        var temp = path + ".tmp";
        File.WriteAllText(temp, text);
        File.Move(temp, path, overwrite: true);
    }

    private static Dictionary<string, string> ReadIndex(string path)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({e.Message})", e);
        }
        if (root?["weight_map"] is not JsonObject map) throw new InvalidDataException($"{path}: needs an object 'weight_map' from tensor name to shard file");
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, shard) in map)
        {
            if (shard is not JsonValue v || !v.TryGetValue<string>(out var file) || file.Contains('/') || file.Contains('\\'))
                throw new InvalidDataException($"{path}: 'weight_map.{name}' must be a shard file name in the same folder");
            result[name] = file;
        }
        return result;
    }
}
