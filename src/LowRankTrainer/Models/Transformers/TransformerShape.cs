using LowRankTrainer.Config;
using LowRankTrainer.Models.Transformers.Bert;
using LowRankTrainer.Models.Transformers.Gpt2;
using LowRankTrainer.Models.Transformers.Llama;

namespace LowRankTrainer.Models.Transformers;

/// <summary>
/// The depth and width of the transformer a <c>model</c> section names, read from its <c>config.json</c>
/// (<c>model.hf_config</c>, or the checkpoint folder of <c>model.pretrained</c>) without building the model: what the
/// config validator checks the embedding losses' layers and dims against.
/// </summary>
/// <param name="Layers">L, the number of blocks (<c>num_hidden_layers</c> / <c>n_layer</c>).</param>
/// <param name="HiddenSize">d, the width of every hidden state (<c>hidden_size</c> / <c>n_embd</c>).</param>
/// <param name="Source">The key that named the file (<c>model.hf_config</c> or <c>model.pretrained</c>).</param>
/// <param name="File">The <c>config.json</c> read.</param>
public sealed record TransformerShape(int Layers, int HiddenSize, string Source, string File)
{
    /// <summary>The shape, or null when the file is missing, unreadable or not of <c>model.name</c>'s family (other checks report that).</summary>
    public static TransformerShape? TryRead(ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        try
        {
            var (file, source) = config.HfConfig is { } hf ? (hf, "model.hf_config")
                : config.Pretrained is { } folder ? (Path.Combine(TransformerBuilder.ResolveCheckpoint(folder), PretrainedTransformer.ConfigFile), "model.pretrained")
                : (null, "");
            if (file is null || !System.IO.File.Exists(file)) return null;
            var json = HfConfigJson.Read(file);
            var (layers, width) = config.Name switch
            {
                "bert" => Of(BertConfig.FromJson(json)),
                "roberta" => Of(BertConfig.FromJson(json, BertConfig.ForRoberta())),
                "gpt2" => Of(Gpt2Config.FromJson(json)),
                "llama" => Of(LlamaConfig.FromJson(json)),
                _ => (0L, 0L),
            };
            return layers > 0 ? new TransformerShape(checked((int)layers), checked((int)width), source, file) : null;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or System.Text.Json.JsonException or OverflowException)
        {
            return null;
        }
    }

    private static (long, long) Of(BertConfig c) => (c.NumHiddenLayers, c.HiddenSize);

    private static (long, long) Of(Gpt2Config c) => (c.NLayer, c.NEmbd);

    private static (long, long) Of(LlamaConfig c) => (c.NumHiddenLayers, c.HiddenSize);
}
