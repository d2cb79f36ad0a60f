using LowRankTrainer.Config;

namespace LowRankTrainer.Tests.Config;

/// <summary><c>data.transform</c> / <c>data.transform_seed</c> and <c>model.name: resmlp</c> / <c>model.num_blocks</c>: binding, defaults, errors.</summary>
public sealed class VisionConfigTests : IDisposable
{
    private readonly ConfigTestFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void Defaults_NoTransform_EightBlocks()
    {
        Assert.Equal(("none", 0), (new DataConfig().Transform, new DataConfig().TransformSeed));
        Assert.Equal(8, new ModelConfig().NumBlocks);
        Assert.Equal(["none", "permute_pixels"], DataConfig.Transforms);
    }

    [Fact]
    public void PermutedResMlp_AllKeys_AreBound_AndRoundTripThroughTheWriter()
    {
        var path = _files.Write("a.yaml", """
            model:
              name: resmlp
              hidden_sizes: [128]
              num_blocks: 10
              num_classes: 5
            data:
              classes: [0, 1, 2, 3, 4]
              transform: permute_pixels
              transform_seed: 3
              max_samples: 1000
            """);
        var config = ConfigTestFiles.Valid(path);
        Assert.Equal(("resmlp", 10, 128), (config.Model.Name, config.Model.NumBlocks, Assert.Single(config.Model.HiddenSizes)));
        Assert.Equal(("permute_pixels", 3), (config.Data.Transform, config.Data.TransformSeed));
        var written = ConfigWriter.Write(config);
        Assert.Contains("transform: permute_pixels", written, StringComparison.Ordinal);
        Assert.Contains("num_blocks: 10", written, StringComparison.Ordinal);
        var again = ConfigTestFiles.Valid(_files.Write("b.yaml", written));
        Assert.Equal((config.Data.Transform, config.Data.TransformSeed, config.Model.NumBlocks), (again.Data.Transform, again.Data.TransformSeed, again.Model.NumBlocks));
    }

    [Fact]
    public void Overrides_SetTheNewKeys()
    {
        var path = _files.Write("a.yaml", "model:\n  name: resmlp\n  hidden_sizes: [64]\n");
        var config = ConfigTestFiles.Valid(path, "model.num_blocks=12", "data.transform=permute_pixels", "data.transform_seed=9");
        Assert.Equal((12, "permute_pixels", 9), (config.Model.NumBlocks, config.Data.Transform, config.Data.TransformSeed));
    }

    [Fact]
    public void PermutePixels_WorksWithTheConvolutionalModelsToo()
    {
        var config = ConfigTestFiles.Valid(_files.Write("a.yaml", "model:\n  name: lenet5\ndata:\n  transform: permute_pixels\n"));
        Assert.Equal("permute_pixels", config.Data.Transform);
    }

    [Theory]
    [InlineData("data:\n  transform: permute\n", ConfigErrorCodes.InvalidChoice, "data.transform must be one of none, permute_pixels (got 'permute'; did you mean 'permute_pixels'?)")]
    [InlineData("data:\n  transform: rotate\n", ConfigErrorCodes.InvalidChoice, "data.transform must be one of none, permute_pixels (got 'rotate')")]
    [InlineData("data:\n  dataset: csv\n  path: t.csv\n  feature_columns: [a]\n  label_column: y\n  transform: permute_pixels\n", ConfigErrorCodes.Conflict,
                "data.transform permute_pixels permutes image pixels: it needs an image dataset (fashion_mnist), not data.dataset csv")]
    [InlineData("data:\n  transform_seed: 4\n", ConfigErrorCodes.Conflict,
                "data.transform_seed seeds data.transform, which is none; set data.transform: permute_pixels or remove data.transform_seed")]
    [InlineData("loss:\n  type: mnrl\ndata:\n  transform: permute_pixels\n", ConfigErrorCodes.Conflict,
                "data.transform permute_pixels cannot be used with loss.type mnrl: its two views shift each image by a few pixels, which on permuted pixels scrambles the image instead of moving it (at {0}(2,3))")]
    [InlineData("model:\n  name: resmlp\n", ConfigErrorCodes.Conflict,
                "model.name resmlp takes exactly one model.hidden_sizes value, the width of the stem and of every block (e.g. [128]), got [256, 256]")]
    [InlineData("model:\n  name: resmlp\n  hidden_sizes: []\n", ConfigErrorCodes.Conflict,
                "model.name resmlp takes exactly one model.hidden_sizes value, the width of the stem and of every block (e.g. [128]), got []")]
    [InlineData("model:\n  name: resmlp\n  hidden_sizes: [32]\n  num_blocks: 0\n", ConfigErrorCodes.OutOfRange, "model.num_blocks must be >= 1 (got 0)")]
    [InlineData("model:\n  name: resmlp\n  hidden_sizes: [32]\n  dropout: 0.1\n", ConfigErrorCodes.Conflict, "model.name resmlp has no dropout layers, but model.dropout is 0.1; set it to 0")]
    [InlineData("model:\n  name: mlp\n  num_blocks: 4\n", ConfigErrorCodes.Conflict, "model.num_blocks applies to model.name resmlp only, but model.name is mlp")]
    [InlineData("model:\n  name: resmlp\n  hidden_sizes: [32]\n  image_size: 32\n", ConfigErrorCodes.Conflict, "data.dataset fashion_mnist has 28x28 images, but model.image_size is 32")]
    [InlineData("model:\n  name: resmlp\n  hidden_sizes: [32]\nloss:\n  type: mrl\n  matryoshka:\n    dims: [8, 32]\n", ConfigErrorCodes.Conflict,
                "loss.type mrl needs model.name mlp (the representation is its last hidden layer), got resmlp (at {0}(2,3))")]
    public void BadKeys_GiveOneClearError(string yaml, string code, string message)
    {
        var path = _files.Write("a.yaml", yaml);
        var d = ConfigTestFiles.SingleError(path);
        Assert.Equal(code, d.Code);
        Assert.Equal(string.Format(System.Globalization.CultureInfo.InvariantCulture, message, path), d.Message);
    }
}
