using LowRankTrainer.Torch;

namespace LowRankTrainer.Data;

/// <summary>The two Fashion-MNIST splits.</summary>
public enum FashionMnistSplit
{
    /// <summary>60,000 training images (<c>train-*</c>).</summary>
    Train,
    /// <summary>10,000 test images (<c>t10k-*</c>).</summary>
    Test,
}

/// <summary>
/// Fashion-MNIST (Xiao, Rasul and Vollgraf, 2017): 28×28 grey-scale images of 10 clothing
/// classes, 60,000 for training and 10,000 for testing, 6,000/1,000 per class. Read from the IDX
/// files of Debian's <c>dataset-fashion-mnist</c> package (installed by <c>tools/setup.sh</c>).
/// </summary>
/// <remarks>
/// Images load as float32 <c>[N, 1, 28, 28]</c> scaled to [0, 1] (torchvision's <c>ToTensor</c>:
/// <c>byte / 255</c>), optionally normalised to <c>(x − 0.2860) / 0.3530</c>, and labels as int64
/// <c>[N]</c>. A whole split is one tensor (the training images are 188 MB as float32), created
/// outside any <see cref="DisposeScope"/> and owned by the returned <see cref="TensorDataset"/>.
/// </remarks>
public static class FashionMnist
{
    /// <summary>Where Debian's <c>dataset-fashion-mnist</c> installs the files.</summary>
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>Mean of all training pixels in [0, 1] (0.28604, computed from the data; see the tests).</summary>
    public const float Mean = 0.2860f;

    /// <summary>Standard deviation of all training pixels in [0, 1] (0.35302, computed from the data).</summary>
    public const float Std = 0.3530f;

    /// <summary>Image height and width.</summary>
    public const int ImageSize = 28;

    /// <summary>The class names, by label index 0–9.</summary>
    public static IReadOnlyList<string> ClassNames { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>The image and label file paths of a split (the <c>.gz</c> file, or an unpacked copy if only that exists).</summary>
    public static (string Images, string Labels) Files(FashionMnistSplit split, string? directory = null)
    {
        var dir = directory ?? DefaultDirectory;
        var prefix = split == FashionMnistSplit.Train ? "train" : "t10k";
        return (Locate(dir, $"{prefix}-images-idx3-ubyte"), Locate(dir, $"{prefix}-labels-idx1-ubyte"));
    }

    /// <summary>Loads a split as a dataset of float32 images <c>[N, 1, 28, 28]</c> and int64 labels <c>[N]</c>.</summary>
    /// <param name="split">Train (60,000) or test (10,000).</param>
    /// <param name="directory">The folder holding the IDX files; null for <see cref="DefaultDirectory"/>.</param>
    /// <param name="normalize">Also apply <c>(x − <see cref="Mean"/>) / <see cref="Std"/></c>.</param>
    /// <exception cref="FileNotFoundException">The files are missing (the message names the package to install).</exception>
    /// <exception cref="DataFormatException">A file is malformed, or images and labels disagree.</exception>
    public static TensorDataset Load(FashionMnistSplit split, string? directory = null, bool normalize = false)
    {
        var (imagesPath, labelsPath) = Files(split, directory);
        var images = IdxReader.Read(imagesPath);
        var labels = IdxReader.Read(labelsPath);

        if (images.DataType != IdxDataType.UInt8 || images.Shape.Count != 3 || images.Shape[1] != ImageSize || images.Shape[2] != ImageSize)
        {
            throw new DataFormatException(imagesPath, $"expected uint8 images N×28×28, found {images.DataType} {string.Join('×', images.Shape)}");
        }
        if (labels.DataType != IdxDataType.UInt8 || labels.Shape.Count != 1 || labels.Shape[0] != images.Shape[0])
        {
            throw new DataFormatException(labelsPath, $"expected {images.Shape[0]} uint8 labels (one per image), found {labels.DataType} {string.Join('×', labels.Shape)}");
        }
        var n = images.Shape[0];
        var labelValues = new long[n];
        for (var i = 0; i < n; i++)
        {
            var l = labels.Data[i];
            if (l >= ClassNames.Count) throw new DataFormatException(labelsPath, $"label {l} of sample {i} is not a class index 0–9");
            labelValues[i] = l;
        }

        // Long-lived: join no scope the caller may have open.
        using var _ = DisposeScope.Suspend();
        Tensor? x = null;
        Tensor? y = null;
        try
        {
            using (var raw = Tensor.From<byte>(images.Data, [n, 1, ImageSize, ImageSize]))
            {
                x = raw.To(DType.Float32);
            }
            x.Div_(255.0);
            if (normalize)
            {
                x.Add_(-(double)Mean).Div_((double)Std);
            }
            y = Tensor.From<long>(labelValues, [n]);
            return new TensorDataset(x, y, ClassNames);
        }
        catch
        {
            x?.Dispose();
            y?.Dispose();
            throw;
        }
    }

    private static string Locate(string dir, string stem)
    {
        var gz = Path.Combine(dir, stem + ".gz");
        if (File.Exists(gz)) return gz;
        var plain = Path.Combine(dir, stem);
        if (File.Exists(plain)) return plain;
        var hint = dir == DefaultDirectory
            ? "install Debian's dataset-fashion-mnist (tools/setup.sh does: apt-get install dataset-fashion-mnist)"
            : $"point the loader at the folder holding the Fashion-MNIST IDX files, or install Debian's dataset-fashion-mnist (tools/setup.sh does) and use {DefaultDirectory}";
        throw new FileNotFoundException($"Fashion-MNIST not found: {gz} does not exist; {hint}", gz);
    }
}
