namespace LowRankTrainer.Runs.TensorBoard;

/// <summary>
/// Encodes the two kinds of <c>tensorflow.Event</c> an event file needs (tensorboard/compat/proto/event.proto and
/// summary.proto):
/// <code>
/// message Event   { double wall_time = 1; int64 step = 2; oneof what { string file_version = 3; Summary summary = 5; ... } }
/// message Summary { repeated Value value = 1; }
/// message Summary.Value { string tag = 1; oneof value { float simple_value = 2; ... } }
/// </code>
/// Fields are written in field-number order, as protobuf serializers do.
/// </summary>
public static class TensorBoardEvent
{
    /// <summary>The version TensorBoard's and PyTorch's writers put in the first event of every file.</summary>
    public const string FileVersion = "brain.Event:2";

    /// <summary>The first event of a file: wall time and <c>file_version</c> (step 0, which protobuf leaves out).</summary>
    public static byte[] Header(double wallTime, string fileVersion = FileVersion) =>
        new ProtoWriter().Double(1, wallTime).String(3, fileVersion).ToArray();

    /// <summary>
    /// One event holding a <c>Summary</c> with a scalar <c>simple_value</c> per tag. TensorBoard stores scalars as
    /// float32, so values are rounded to the nearest float here.
    /// </summary>
    public static byte[] Scalars(double wallTime, long step, IEnumerable<(string Tag, double Value)> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var summary = new ProtoWriter();
        foreach (var (tag, value) in values)
        {
            summary.Bytes(1, new ProtoWriter().String(1, tag).Float(2, (float)value).ToArray());
        }
        var evt = new ProtoWriter().Double(1, wallTime);
        if (step != 0) evt.Int64(2, step);   // proto3 leaves default values out
        return evt.Bytes(5, summary.ToArray()).ToArray();
    }
}
