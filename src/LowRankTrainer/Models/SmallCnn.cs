using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Models;

/// <summary>
/// A small convolutional network: two blocks of conv 3×3 (padding 1) → ReLU → max-pool 2
/// (32 then 64 channels), then [dropout] and a linear head over the flattened features.
/// </summary>
/// <remarks>
/// On 28×28×1 inputs: 28 → 14 → 7, so the head sees 64·7·7 = 3,136 features. Parameters:
/// (32·9+32) + (64·32·9+64) + (3,136·10+10) = 320 + 18,496 + 31,370 = 50,186. Names:
/// <c>features.0</c>, <c>features.3</c> (convs) and <c>classifier</c> (the head).
/// </remarks>
public sealed class SmallCnn : Module<Tensor, Tensor>, IClassifierModel
{
    private readonly Sequential _features;
    private readonly Dropout? _dropout;
    private readonly Linear _classifier;

    /// <summary>Creates the network.</summary>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="imageSize">Side of the square input.</param>
    /// <param name="numClasses">Outputs of the head.</param>
    /// <param name="dropout">Dropout before the head (0: none).</param>
    /// <param name="generator">Draws the initial weights and the dropout masks (not owned).</param>
    public SmallCnn(long inChannels, long imageSize, long numClasses, double dropout, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        _features = new Sequential(
            new Conv2d(inChannels, 32, 3, padding: 1, generator: generator),
            new ReLU(),
            new MaxPool2d(2),
            new Conv2d(32, 64, 3, padding: 1, generator: generator),
            new ReLU(),
            new MaxPool2d(2));
        var side = imageSize / 2 / 2;
        if (side < 1) throw new ArgumentException($"images of side {imageSize} are too small for the CNN", nameof(imageSize));
        _dropout = ModelShapes.MaybeDropout(dropout, generator);
        _classifier = new Linear(64 * side * side, numClasses, generator: generator);
        RegisterModule("features", _features);
        if (_dropout is not null) RegisterModule("dropout", _dropout);
        RegisterModule("classifier", _classifier);
    }

    /// <inheritdoc/>
    public string HeadName => "classifier";

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var h = _features.Forward(input).Flatten(1);
        if (_dropout is not null) h = _dropout.Forward(h);
        return _classifier.Forward(h);
    }
}
