using System.Text.Json;
using System.Text.Json.Nodes;
using LowRankTrainer.Training;

namespace LowRankTrainer.Runs.TensorBoard;

/// <summary>
/// The scalars of one <see cref="MetricsEntry"/> under the tags HF's <c>TensorBoardCallback</c> gives them
/// (transformers/integrations/integration_utils.py, <c>rewrite_logs</c>): every key of the logged dict, as
/// <c>metrics.jsonl</c> spells it, becomes <c>eval/&lt;rest&gt;</c> when it starts with <c>eval_</c> and
/// <c>train/&lt;key&gt;</c> otherwise — <c>train/loss</c>, <c>train/learning_rate</c>, <c>train/grad_norm</c>,
/// <c>train/epoch</c>, <c>eval/loss</c>, <c>eval/accuracy</c>, <c>eval/f1</c>, <c>eval/runtime</c>. An evaluation's
/// <c>epoch</c> becomes <c>train/epoch</c> too, as in HF. HF drops dict values; here a mapping such as
/// <c>eval_accuracy_by_dim</c> gives one scalar per entry, <c>eval/accuracy_by_dim/&lt;key&gt;</c>.
/// <c>split</c> and <c>step</c> are not scalars (the step is the event's).
/// </summary>
public static class TensorBoardTags
{
    /// <summary>(tag, value) for every number in <paramref name="entry"/>, in <c>metrics.jsonl</c>'s key order.</summary>
    public static IReadOnlyList<(string Tag, double Value)> Of(MetricsEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        // Going through the JSON form keeps the tags equal to metrics.jsonl's keys, new MetricsEntry fields included.
        var json = JsonSerializer.SerializeToNode(entry, MetricsLog.Json)!.AsObject();
        var scalars = new List<(string, double)>();
        foreach (var (key, node) in json)
        {
            if (key is "split" or "step" || node is null) continue;
            var tag = Rewrite(key);
            switch (node)
            {
                case JsonValue value when value.TryGetValue<double>(out var number):
                    scalars.Add((tag, number));
                    break;
                case JsonObject map:
                    foreach (var (sub, item) in map)
                    {
                        if (item is JsonValue v && v.TryGetValue<double>(out var x)) scalars.Add(($"{tag}/{sub}", x));
                    }
                    break;
            }
        }
        return scalars;
    }

    /// <summary>HF's <c>rewrite_logs</c> for one key: <c>eval_x</c> → <c>eval/x</c>, <c>test_x</c> → <c>test/x</c>, else <c>train/key</c>.</summary>
    public static string Rewrite(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.StartsWith("eval_", StringComparison.Ordinal)) return "eval/" + key["eval_".Length..];
        if (key.StartsWith("test_", StringComparison.Ordinal)) return "test/" + key["test_".Length..];
        return "train/" + key;
    }
}
