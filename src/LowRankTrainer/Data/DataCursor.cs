using System.Text.Json;
using System.Text.Json.Serialization;

namespace LowRankTrainer.Data;

/// <summary>
/// Where a <see cref="ShuffledBatches"/> iterator stands: the epoch and the index (within that
/// epoch) of the next batch it will produce, plus the seed its orders derive from. Because each
/// epoch's order is a pure function of (seed, epoch), this is all a checkpoint needs to resume the
/// data stream exactly; it is saved as <c>data_cursor</c> in <c>trainer_state.json</c>.
/// </summary>
/// <param name="Epoch">The 0-based epoch of the next batch.</param>
/// <param name="BatchIndex">The 0-based index of the next batch within <paramref name="Epoch"/>.</param>
/// <param name="Seed">The data seed (the run's <c>data_seed</c>).</param>
public sealed record DataCursor(long Epoch, long BatchIndex, ulong Seed)
{
    private static readonly JsonSerializerOptions _json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        RespectRequiredConstructorParameters = true,
    };

    /// <summary>
    /// The batch size the cursor was taken with, when known. A resumed iterator refuses a different
    /// one: batch <see cref="BatchIndex"/> would then start at another sample.
    /// </summary>
    public int? BatchSize { get; init; }

    /// <summary>The dataset size the cursor was taken with, when known (a resumed iterator refuses a different one).</summary>
    public long? SampleCount { get; init; }

    /// <summary>Serialises to JSON with snake_case keys: <c>{"epoch":1,"batch_index":7,"seed":42,...}</c>.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, _json);

    /// <summary>Parses what <see cref="ToJson"/> wrote; unknown or missing keys (epoch, batch_index, seed) are an error.</summary>
    /// <exception cref="JsonException">The text is not a data cursor.</exception>
    public static DataCursor FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        var cursor = JsonSerializer.Deserialize<DataCursor>(json, _json)
                     ?? throw new JsonException("a data cursor cannot be null");
        if (cursor.Epoch < 0 || cursor.BatchIndex < 0)
        {
            throw new JsonException($"a data cursor needs epoch ≥ 0 and batch_index ≥ 0 (got epoch {cursor.Epoch}, batch_index {cursor.BatchIndex})");
        }
        return cursor;
    }
}
