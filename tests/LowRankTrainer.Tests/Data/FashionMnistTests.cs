using LowRankTrainer.Data;
using LowRankTrainer.Torch;
using Xunit.Abstractions;

namespace LowRankTrainer.Tests.Data;

/// <summary>The training split, loaded once for the class (about a second).</summary>
public sealed class FashionMnistTrainFixture : IDisposable
{
    public FashionMnistTrainFixture()
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        Train = FashionMnist.Load(FashionMnistSplit.Train);
        LoadSeconds = watch.Elapsed.TotalSeconds;
    }

    public TensorDataset Train { get; }

    public double LoadSeconds { get; }

    public void Dispose() => Train.Dispose();
}

// Reference values were computed independently from the Debian files with Python's gzip/struct:
//   /usr/bin/python3 -c "import gzip; b=gzip.open('/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz').read()[16:]; \
//       print(sum(b[:784]), sum(b), len(b))"          -> 76247 3431114169 47040000
//   mean = 3431114169/47040000/255 = 0.2860405969887955, population std = 0.3530242445149226
//   first labels: train 9,0,0,3,0,2,7,2,5,5 (byte 8 onwards of train-labels), test 9,2,1,1,6,1,4,6,5,7
//   first test image byte sum: 33456
public class FashionMnistTests(FashionMnistTrainFixture fixture, ITestOutputHelper output) : IClassFixture<FashionMnistTrainFixture>
{
    private readonly TensorDataset _train = fixture.Train;

    [Fact]
    public void Load_Train_TakesUnderAFewSeconds()
    {
        output.WriteLine($"loading the 60,000 training images took {fixture.LoadSeconds:F2} s");
        Assert.InRange(fixture.LoadSeconds, 0, 10); // ~1 s on 2 cores; generous against a busy machine
    }

    [Fact]
    public void Load_Train_Has60000ImagesOf1x28x28AndInt64Labels()
    {
        Assert.Equal([60000L, 1, 28, 28], _train.Inputs.Shape);
        Assert.Equal(DType.Float32, _train.Inputs.DType);
        Assert.Equal([60000L], _train.Targets.Shape);
        Assert.Equal(DType.Int64, _train.Targets.DType);
        Assert.Equal(60000, _train.Count);
        Assert.Same(FashionMnist.ClassNames, _train.ClassNames);
    }

    [Fact]
    public void Load_Train_FirstLabelsAndFirstImagePixelSumMatchTheFile()
    {
        using var scope = new DisposeScope();
        Assert.Equal([9L, 0, 0, 3, 0, 2, 7, 2, 5, 5], _train.Targets.Narrow(0, 0, 10).ToArray<long>());
        Assert.Equal("Ankle boot", FashionMnist.ClassNames[9]);

        var first = _train.Inputs[0];
        Assert.Equal(76247.0, (first * 255.0).Round().Sum().ToDouble());
        // 76247/255 = 299.00784…; the pixels are float32, so the sum carries their rounding (about 4e-6 here).
        Assert.Equal(299.0078431372549, first.To(DType.Float64).Sum().ToDouble(), 1e-5);
        Assert.Equal(0.0, first.Min().ToDouble());
        Assert.Equal(1.0, first.Max().ToDouble());
    }

    [Fact]
    public void Load_Train_Has6000ImagesPerClass()
    {
        var counts = new int[10];
        foreach (var l in _train.Targets.ToArray<long>()) counts[l]++;
        Assert.All(counts, c => Assert.Equal(6000, c));
    }

    [Fact]
    public void Load_Train_PixelMeanAndStdAreTheDocumentedStatistics()
    {
        using var scope = new DisposeScope();
        var mean = _train.Inputs.Mean().ToDouble();
        var std = _train.Inputs.Std(unbiased: false).ToDouble();

        Assert.Equal(0.2860405969887955, mean, 1e-5);
        Assert.Equal(0.3530242445149226, std, 1e-5);
        Assert.Equal(FashionMnist.Mean, Math.Round(mean, 4), 1e-7);
        Assert.Equal(FashionMnist.Std, Math.Round(std, 4), 1e-7);
    }

    [Fact]
    public void Load_Test_Has10000ImagesAnd1000PerClass()
    {
        using var test = FashionMnist.Load(FashionMnistSplit.Test);
        using var scope = new DisposeScope();

        Assert.Equal([10000L, 1, 28, 28], test.Inputs.Shape);
        var labels = test.Targets.ToArray<long>();
        Assert.Equal([9L, 2, 1, 1, 6, 1, 4, 6, 5, 7], labels[..10]);
        var counts = new int[10];
        foreach (var l in labels) counts[l]++;
        Assert.All(counts, c => Assert.Equal(1000, c));
        Assert.Equal(33456.0, (test.Inputs[0] * 255.0).Round().Sum().ToDouble());
    }

    [Fact]
    public void Load_Normalized_AppliesMeanAndStd()
    {
        using var plain = FashionMnist.Load(FashionMnistSplit.Test);
        using var norm = FashionMnist.Load(FashionMnistSplit.Test, normalize: true);
        using var scope = new DisposeScope();

        using var expected = (plain.Inputs - (double)FashionMnist.Mean) / (double)FashionMnist.Std;
        Assert.True(norm.Inputs.AllClose(expected, rtol: 0, atol: 1e-6));
        Assert.True(norm.Targets.ValueEquals(plain.Targets));
    }

    [Fact]
    public void Load_InsideAScope_TheDatasetOutlivesTheScope()
    {
        TensorDataset test;
        using (new DisposeScope())
        {
            test = FashionMnist.Load(FashionMnistSplit.Test);
        }
        using (test)
        {
            Assert.False(test.Inputs.IsDisposed);
            Assert.False(test.Targets.IsDisposed);
        }
        Assert.True(test.Inputs.IsDisposed);
    }

    [Fact]
    public void Load_MissingFolder_NamesThePackageToInstall()
    {
        var e = Assert.Throws<FileNotFoundException>(() => FashionMnist.Load(FashionMnistSplit.Test, "/nonexistent/fmnist"));
        Assert.Contains("/nonexistent/fmnist/t10k-images-idx3-ubyte.gz", e.Message, StringComparison.Ordinal);
        Assert.Contains("dataset-fashion-mnist", e.Message, StringComparison.Ordinal);
        Assert.Contains("tools/setup.sh", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Files_DefaultFolder_IsDebians()
    {
        var (images, labels) = FashionMnist.Files(FashionMnistSplit.Train);
        Assert.Equal("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz", images);
        Assert.Equal("/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz", labels);
    }
}
