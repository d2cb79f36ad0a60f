using LowRankTrainer.Config;

namespace LowRankTrainer.Tests.Config;

/// <summary><c>loss.type</c> and the nested <c>loss.matryoshka</c> subsection: parsing, writing, overrides and errors.</summary>
public sealed class MatryoshkaConfigTests : IDisposable
{
    private const string Mrl = """
        model:
          name: mlp
          hidden_sizes: [32, 16]
        loss:
          type: mrl
          label_smoothing: 0.1
          matryoshka:
            dims: [16, 2, 8]
            weights: [1.0, 0.5, 2]
            efficient: true
        """;

    private readonly ConfigTestFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void NestedSubsection_IsRead_WrittenNested_AndLoadsBack()
    {
        var config = ConfigTestFiles.Valid(_files.Write("a.yaml", Mrl));
        Assert.Equal("mrl", config.Loss.Type);
        Assert.Equal([16, 2, 8], config.Loss.Matryoshka.Dims);
        Assert.Equal([1.0, 0.5, 2.0], config.Loss.Matryoshka.Weights);
        Assert.True(config.Loss.Matryoshka.Efficient);
        Assert.Equal(-1, config.Loss.Matryoshka.DimsPerStep);
        var text = ConfigWriter.Write(config);
        Assert.Contains("  matryoshka:\n    dims: [16, 2, 8]\n    weights: [1.0, 0.5, 2.0]\n    dims_per_step: -1\n    efficient: true\n", text, StringComparison.Ordinal);
        var back = ConfigTestFiles.Valid(_files.Write("resolved.yaml", text));
        Assert.Equal(text, ConfigWriter.Write(back));
    }

    [Fact]
    public void ExistingConfigs_KeepTheStandardLoss()
    {
        var config = ConfigTestFiles.Valid(Path.Combine(ConfigTestFiles.RepoRoot(), "configs", "quickstart.yaml"));
        Assert.Equal("standard", config.Loss.Type);
        Assert.Empty(config.Loss.Matryoshka.Dims);
    }

    [Fact]
    public void Overrides_ReachNestedKeys()
    {
        var config = ConfigTestFiles.Valid(_files.Write("a.yaml", Mrl), "loss.matryoshka.dims=[16,4]", "loss.matryoshka.weights=[]", "loss.matryoshka.dims_per_step=1");
        Assert.Equal([16, 4], config.Loss.Matryoshka.Dims);
        Assert.Empty(config.Loss.Matryoshka.Weights);
        Assert.Equal(1, config.Loss.Matryoshka.DimsPerStep);
    }

    [Fact]
    public void DimLargerThanTheRepresentation_IsReportedAtTheItem()
    {
        var path = _files.Write("a.yaml", Mrl.Replace("dims: [16, 2, 8]", "dims: [16, 2, 64]", StringComparison.Ordinal));
        var d = ConfigTestFiles.SingleError(path);
        Assert.Equal(ConfigErrorCodes.OutOfRange, d.Code);
        Assert.Equal((8, 19), (d.Location.Line, d.Location.Column));
        Assert.StartsWith("loss.matryoshka.dims[2] is 64, larger than the representation: model.hidden_sizes ends with 16", d.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("loss.matryoshka.weights=[1,2]", "loss.matryoshka.weights has 2 entries but loss.matryoshka.dims has 3")]
    [InlineData("loss.matryoshka.weights=[1,-1,1]", "loss.matryoshka.weights[1] must be >= 0 (got -1)")]
    [InlineData("loss.matryoshka.dims_per_step=4", "loss.matryoshka.dims_per_step must be -1 (all dims every step) or in [1, 3] (got 4)")]
    [InlineData("loss.matryoshka.dims=[2,2,8]", "loss.matryoshka.dims[1]: 2 is listed twice")]
    [InlineData("loss.matryoshka.dims=[]", "loss.type mrl needs loss.matryoshka.dims")]
    [InlineData("loss.name=mse", "loss.type mrl trains classification heads and needs loss.name cross_entropy")]
    [InlineData("model.name=lenet5", "loss.type mrl needs model.name mlp")]
    [InlineData("loss.type=mrle", "loss.type must be one of standard, mrl, mnrl, matryoshka, matryoshka_2d, starbucks (got 'mrle'; did you mean 'mrl'?)")]
    public void BadMatryoshkaSettings_GiveOneClearError(string overrideToken, string message)
    {
        var path = _files.Write("a.yaml", """
            model:
              name: mlp
              hidden_sizes: [32, 16]
            loss:
              type: mrl
              matryoshka:
                dims: [16, 2, 8]
            """);
        var d = ConfigTestFiles.SingleError(path, overrideToken);
        Assert.Contains(message, d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MatryoshkaKeys_OnAStandardLoss_AreConflicts()
    {
        var path = _files.Write("a.yaml", "loss:\n  matryoshka:\n    efficient: true\n");
        var d = ConfigTestFiles.SingleError(path);
        Assert.Equal(ConfigErrorCodes.Conflict, d.Code);
        Assert.Equal((3, 5), (d.Location.Line, d.Location.Column));
        Assert.StartsWith("loss.matryoshka.efficient applies to loss.type mrl, but loss.type is standard", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownNestedKey_SuggestsTheNestedName_AndAScalarSubsectionIsATypeError()
    {
        var unknown = ConfigTestFiles.SingleError(_files.Write("a.yaml", "loss:\n  matryoshka:\n    dimz: [2]\n"));
        Assert.Equal("unknown key 'loss.matryoshka.dimz' (did you mean 'loss.matryoshka.dims'?)", unknown.Message);
        Assert.Equal((3, 5), (unknown.Location.Line, unknown.Location.Column));
        var scalar = ConfigTestFiles.SingleError(_files.Write("b.yaml", "loss:\n  matryoshka: 3\n"));
        Assert.Equal(ConfigErrorCodes.WrongType, scalar.Code);
        Assert.Equal("loss.matryoshka: expected a mapping of keys, got '3'", scalar.Message);
    }
}
