using LowRankTrainer.Config;
using LowRankTrainer.Models.Transformers;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Models;

/// <summary>Builds the model a <see cref="ModelConfig"/> names (<c>model.name</c>).</summary>
public static class ModelFactory
{
    /// <summary>The names <see cref="Create"/> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = ["mlp", "resmlp", "lenet5", "cnn", "linear"];

    /// <summary>
    /// Creates the model, drawing every initial weight from <paramref name="generator"/> (seed it from
    /// <c>train.seed</c> so a run is reproducible); the generator also drives dropout masks, so the
    /// caller keeps it alive as long as the model and saves its state with each checkpoint.
    /// </summary>
    /// <param name="config">The model section.</param>
    /// <param name="generator">Initialisation and dropout randomness (not owned).</param>
    /// <param name="inputFeatures">For the MLP on tabular data: the number of feature columns
    /// (default: in_channels·image_size², 784 for Fashion-MNIST).</param>
    /// <param name="loss">The loss section: <c>type: mrl</c> turns the MLP into a <see cref="MatryoshkaMlp"/>
    /// (heads for <c>loss.matryoshka.dims</c>, MRL-E when <c>efficient</c>); null or standard: the plain model.</param>
    /// <param name="outputFeatures">For the MLP and <c>linear</c> on vector-valued targets (synthetic_linear): the
    /// target width, which replaces <c>model.num_classes</c>; null: <c>model.num_classes</c>.</param>
    /// <exception cref="ArgumentException">An unknown model name, listing the known ones.</exception>
    public static Module<Tensor, Tensor> Create(ModelConfig config, Generator generator, long? inputFeatures = null, LossConfig? loss = null,
                                                long? outputFeatures = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(generator);
        if (config.Dropout is < 0 or >= 1) throw new ArgumentException($"model.dropout must be in [0, 1), got {config.Dropout}", nameof(config));
        if (loss?.Type == "mrl")
        {
            if (config.Name != "mlp") throw new ArgumentException($"loss.type mrl needs model.name mlp, got {config.Name}", nameof(config));
            return new MatryoshkaMlp(inputFeatures ?? (long)config.InChannels * config.ImageSize * config.ImageSize, config.HiddenSizes,
                                     config.NumClasses, loss.Matryoshka.Dims, loss.Matryoshka.Efficient, config.Dropout, generator);
        }
        var flatInputs = inputFeatures ?? (long)config.InChannels * config.ImageSize * config.ImageSize;
        var outputs = outputFeatures ?? config.NumClasses;
        if (config.Init is not ("default" or "zeros")) throw new ArgumentException($"model.init must be default or zeros, got '{config.Init}'", nameof(config));
        if (config.Name != "linear" && (!config.Bias || config.Init != "default"))
            throw new ArgumentException($"model.bias and model.init apply to model.name linear only, not {config.Name}", nameof(config));
        return config.Name switch
        {
            "mlp" => new Mlp(flatInputs, config.HiddenSizes, outputs, config.Dropout, generator),
            "linear" => new LinearModel(flatInputs, outputs, config.Bias, config.Init == "zeros", generator),
            "resmlp" => CreateResMlp(config, inputFeatures, generator),
            "lenet5" => new LeNet5(config.InChannels, config.ImageSize, config.NumClasses, config.Dropout, generator),
            "cnn" => new SmallCnn(config.InChannels, config.ImageSize, config.NumClasses, config.Dropout, generator),
            _ => throw new ArgumentException($"unknown model.name '{config.Name}'; known models: {string.Join(", ", Names)}", nameof(config)),
        };
    }

    private static ResMlp CreateResMlp(ModelConfig config, long? inputFeatures, Generator generator)
    {
        if (config.HiddenSizes.Count != 1)
        {
            throw new ArgumentException($"model.name resmlp takes exactly one model.hidden_sizes value (the width of the stem and every block), got [{string.Join(", ", config.HiddenSizes)}]", nameof(config));
        }
        if (config.Dropout != 0) throw new ArgumentException($"model.name resmlp has no dropout, but model.dropout is {config.Dropout}", nameof(config));
        return new ResMlp(inputFeatures ?? (long)config.InChannels * config.ImageSize * config.ImageSize, config.HiddenSizes[0],
                          config.NumBlocks, config.NumClasses, generator);
    }

    /// <summary>
    /// <see cref="Create"/>, then <c>model.pretrained</c> copied in (<see cref="PretrainedWeights"/>) when the
    /// config names one: the model every verb trains or inspects.
    /// </summary>
    /// <exception cref="InvalidDataException">The pretrained file does not fit the model.</exception>
    /// <exception cref="FileNotFoundException">No weights at <c>model.pretrained</c>.</exception>
    /// <param name="config">The model section.</param>
    /// <param name="generator">Initialisation and dropout randomness (not owned).</param>
    /// <param name="inputFeatures">As for <see cref="Create"/>.</param>
    /// <param name="loss">As for <see cref="Create"/>.</param>
    /// <param name="classNames">Transformers: the data's class names (the head's labels).</param>
    /// <param name="padTokenId">Transformers: the data's padding id.</param>
    /// <param name="log">Transformers: receives a line about the loaded checkpoint.</param>
    /// <param name="outputFeatures">As for <see cref="Create"/>.</param>
    public static Module<Tensor, Tensor> Build(ModelConfig config, Generator generator, long? inputFeatures = null, LossConfig? loss = null,
                                               IReadOnlyList<string>? classNames = null, long? padTokenId = null, Action<string>? log = null,
                                               long? outputFeatures = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (TransformerBuilder.IsTransformer(config.Name)) return TransformerBuilder.Build(config, generator, classNames, padTokenId, log);
        var model = Create(config, generator, inputFeatures, loss, outputFeatures);
        if (config.Pretrained is null) return model;
        try
        {
            PretrainedWeights.Load(model, config.Pretrained, config.PretrainedSkip);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }
}
