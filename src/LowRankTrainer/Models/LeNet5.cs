using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Models;

/// <summary>
/// LeNet-5 (LeCun, Bottou, Bengio and Haffner, "Gradient-Based Learning Applied to Document
/// Recognition", Proc. IEEE 1998) in the modern form used by Li, Farkhoor, Liu and Yosinski,
/// "Measuring the Intrinsic Dimension of Objective Landscapes" (ICLR 2018) for MNIST:
/// conv 6@5×5 → ReLU → max-pool 2 → conv 16@5×5 → ReLU → max-pool 2 → fc 120 → ReLU → fc 84 → ReLU → fc 10.
/// </summary>
/// <remarks>
/// <para>Variant: ReLU and max pooling (not the 1998 scaled tanh and trainable subsampling), and by
/// default valid (unpadded) convolutions on 28×28 inputs, which is what gives Li et al.'s parameter
/// count D = 44,426: 28 → conv 24 → pool 12 → conv 8 → pool 4, so fc1 sees 16·4·4 = 256 features.
/// Count: (6·25+6) + (16·150+16) + (256·120+120) + (120·84+84) + (84·10+10)
/// = 156 + 2,416 + 30,840 + 10,164 + 850 = 44,426. With <c>padding = 2</c> (LeCun's 32×32 input
/// equivalent) fc1 sees 16·5·5 = 400 features and the count is the classic 61,706.</para>
/// <para>Names follow torchvision: <c>features.0</c>, <c>features.3</c> (convs),
/// <c>classifier.0</c>, <c>classifier.2</c>, <c>classifier.4</c> (the head; with dropout after the
/// hidden fc layers the head is <c>classifier.6</c>).</para>
/// </remarks>
public sealed class LeNet5 : Module<Tensor, Tensor>, IClassifierModel
{
    private readonly Sequential _features;
    private readonly Sequential _classifier;

    /// <summary>Creates LeNet-5.</summary>
    /// <param name="inChannels">Input channels (1 for grey-scale).</param>
    /// <param name="imageSize">Side of the square input (28 for Fashion-MNIST).</param>
    /// <param name="numClasses">Outputs of the last layer.</param>
    /// <param name="dropout">Dropout after each hidden fc ReLU (0: none).</param>
    /// <param name="generator">Draws the initial weights and the dropout masks (not owned).</param>
    /// <param name="padding">Zero padding of the first convolution: 0 (Li et al.) or 2 (LeCun's 32×32 equivalent).</param>
    public LeNet5(long inChannels, long imageSize, long numClasses, double dropout, Generator generator, long padding = 0)
    {
        ArgumentNullException.ThrowIfNull(generator);
        _features = new Sequential(
            new Conv2d(inChannels, 6, 5, padding: padding, generator: generator),
            new ReLU(),
            new MaxPool2d(2),
            new Conv2d(6, 16, 5, generator: generator),
            new ReLU(),
            new MaxPool2d(2));
        // Spatial size after conv(5, pad p) → pool 2 → conv 5 → pool 2.
        var side = (((imageSize + (2 * padding) - 4) / 2) - 4) / 2;
        if (side < 1) throw new ArgumentException($"images of side {imageSize} are too small for LeNet-5", nameof(imageSize));
        _classifier = new Sequential(new Linear(16 * side * side, 120, generator: generator), new ReLU());
        if (ModelShapes.MaybeDropout(dropout, generator) is { } d1) _classifier.Append(d1);
        _classifier.Append(new Linear(120, 84, generator: generator)).Append(new ReLU());
        if (ModelShapes.MaybeDropout(dropout, generator) is { } d2) _classifier.Append(d2);
        _classifier.Append(new Linear(84, numClasses, generator: generator));
        HeadName = $"classifier.{_classifier.Count - 1}";
        RegisterModule("features", _features);
        RegisterModule("classifier", _classifier);
    }

    /// <inheritdoc/>
    public string HeadName { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return _classifier.Forward(_features.Forward(input).Flatten(1));
    }
}
