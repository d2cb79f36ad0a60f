using LowRankTrainer.Config;

namespace LowRankTrainer.Tests.Config;

/// <summary><c>base:</c> inheritance and <c>a.b=value</c> overrides: precedence, positions and errors.</summary>
public sealed class ConfigInheritanceAndOverrideTests : IDisposable
{
    private readonly ConfigTestFiles _files = new();

    public ConfigInheritanceAndOverrideTests()
    {
        _files.Write("defaults/train.yaml", """
            model:
              hidden_sizes: [512, 512, 512]
              dropout: 0.1
            train:
              learning_rate: 1e-3
              seed: 7
              num_train_epochs: 3
            logging:
              logging_steps: 10
            """);
    }

    public void Dispose() => _files.Dispose();

    [Fact]
    public void Child_OverridesBaseKeys_MergesSections_AndReplacesLists()
    {
        var child = _files.Write("exp/child.yaml", """
            base: ../defaults/train.yaml
            model:
              hidden_sizes: [64]
            train:
              learning_rate: 5e-4
            """);
        var config = ConfigTestFiles.Valid(child);
        Assert.Equal([64], config.Model.HiddenSizes);      // list replaced, not appended
        Assert.Equal(0.1, config.Model.Dropout);           // inherited
        Assert.Equal(5e-4, config.Train.LearningRate);     // child wins
        Assert.Equal(7, config.Train.Seed);                // inherited within a merged section
        Assert.Equal(10, config.Logging.LoggingSteps);     // inherited section
        Assert.Equal("child", config.Name);                // defaults to the file's stem
    }

    [Fact]
    public void BaseChains_ResolveEachPathRelativeToItsOwnFile()
    {
        _files.Write("exp/mid.yaml", "base: ../defaults/train.yaml\ntrain:\n  seed: 8\n");
        var leaf = _files.Write("exp/deeper/leaf.yaml", "base: ../mid.yaml\ntrain:\n  learning_rate: 2e-3\n");
        var config = ConfigTestFiles.Valid(leaf);
        Assert.Equal((8, 2e-3, 3.0), (config.Train.Seed, config.Train.LearningRate, config.Train.NumTrainEpochs));
    }

    [Fact]
    public void ErrorsInABaseFile_PointIntoTheBaseFile()
    {
        var basePath = _files.Write("bad_base.yaml", "train:\n  learning_rate: -1\n");
        var child = _files.Write("child.yaml", "base: bad_base.yaml\ntrain:\n  seed: 3\n");
        var d = ConfigTestFiles.SingleError(child);
        Assert.Equal((basePath, 2, 3), (d.Location.File, d.Location.Line, d.Location.Column));
    }

    [Fact]
    public void BaseCycle_IsReportedAtTheBaseKeyThatClosesIt()
    {
        var a = _files.Write("a.yaml", "base: b.yaml\n");
        var b = _files.Write("b.yaml", "train:\n  seed: 1\nbase: a.yaml\n");
        var d = ConfigTestFiles.SingleError(a);
        Assert.Equal(ConfigErrorCodes.BaseCycle, d.Code);
        Assert.Equal((b, 3, 7), (d.Location.File, d.Location.Line, d.Location.Column));
        Assert.Equal("base: inheritance cycle: a.yaml -> b.yaml -> a.yaml", d.Message);
    }

    [Fact]
    public void SelfBase_IsACycle()
    {
        var a = _files.Write("a.yaml", "base: ./a.yaml\n");
        var d = ConfigTestFiles.SingleError(a);
        Assert.Equal((ConfigErrorCodes.BaseCycle, 1, 7), (d.Code, d.Location.Line, d.Location.Column));
    }

    [Fact]
    public void BasePathWithANulCharacter_IsReportedAtTheBaseValue()
    {
        // Fuzz seed 37 (ConfigFuzzTests): base: "a\0b.yaml" made Path.GetFullPath throw ArgumentException out of Load.
        var a = _files.Write("a.yaml", "train:\n  seed: 1\nbase: \"a\\0b.yaml\"\n");
        var d = ConfigTestFiles.SingleError(a);
        Assert.Equal((ConfigErrorCodes.FileNotFound, a, 3, 7), (d.Code, d.Location.File, d.Location.Line, d.Location.Column));
        Assert.Equal("base file not found: the path contains a NUL character", d.Message);
    }

    [Fact]
    public void MissingBaseFile_IsReportedAtTheBaseValue()
    {
        var a = _files.Write("a.yaml", "train:\n  seed: 1\nbase: ../missing.yaml\n");
        var d = ConfigTestFiles.SingleError(a);
        Assert.Equal((ConfigErrorCodes.FileNotFound, a, 3, 7), (d.Code, d.Location.File, d.Location.Line, d.Location.Column));
        Assert.StartsWith("base file not found: ", d.Message, StringComparison.Ordinal);
        Assert.EndsWith("missing.yaml", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Overrides_BeatTheFileAndTheBase_AndLaterOverridesWin()
    {
        var child = _files.Write("child.yaml", "base: defaults/train.yaml\ntrain:\n  learning_rate: 5e-4\n");
        var config = ConfigTestFiles.Valid(child,
            "train.learning_rate=3e-4", "model.hidden_sizes=[128,64]", "train.seed=1", "train.seed=2", "checkpoint.save_total_limit=null", "name=my run");
        Assert.Equal(3e-4, config.Train.LearningRate);
        Assert.Equal([128, 64], config.Model.HiddenSizes);
        Assert.Equal(2, config.Train.Seed);
        Assert.Null(config.Checkpoint.SaveTotalLimit);
        Assert.Equal("my run", config.Name);
        Assert.Equal(0.1, config.Model.Dropout);
    }

    [Fact]
    public void Override_CanAddAKeyTheFileDoesNotHave_AndFillAnEmptySection()
    {
        var a = _files.Write("a.yaml", "eval:\ntrain:\n  seed: 1\n");
        var config = ConfigTestFiles.Valid(a, "eval.eval_steps=20", "data.drop_last=true");
        Assert.Equal(20, config.Eval.EvalSteps);
        Assert.True(config.Data.DropLast);
    }

    [Fact]
    public void UnknownOverridePath_NamesTheOverride_WithDidYouMean()
    {
        var a = _files.Write("a.yaml", "train:\n  seed: 1\n");
        var d = ConfigTestFiles.SingleError(a, "train.seed=3", "train.lr=3e-4");
        Assert.Equal(ConfigLocation.ForOverride(2, "train.lr=3e-4"), d.Location);
        Assert.Equal("<override 2: train.lr=3e-4>: error LRT0101: unknown key 'train.lr' (did you mean 'train.learning_rate'?)", d.ToString());
    }

    [Theory]
    [InlineData("trian.seed=3", "unknown key 'trian' (did you mean 'train'?)")]
    [InlineData("train.batch_size=32", "unknown key 'train.batch_size' (did you mean 'train.per_device_train_batch_size'?)")]
    [InlineData("train.epochs=3", "unknown key 'train.epochs' (did you mean 'train.num_train_epochs'?)")]
    [InlineData("train.logging_steps=3", "unknown key 'train.logging_steps' (did you mean 'logging.logging_steps'?)")]
    [InlineData("train.learnig_rate=3", "unknown key 'train.learnig_rate' (did you mean 'train.learning_rate'?)")]
    public void UnknownOverridePaths_AreUnknownKeys(string token, string message)
    {
        var a = _files.Write("a.yaml", "train:\n  seed: 1\n");
        var d = ConfigTestFiles.SingleError(a, token);
        Assert.Equal((ConfigErrorCodes.UnknownKey, 1, message), (d.Code, d.Location.OverrideIndex, d.Message));
    }

    [Theory]
    [InlineData("train.learning_rate", ConfigErrorCodes.BadOverride, "an override must look like section.key=value (e.g. train.learning_rate=3e-4)")]
    [InlineData("=3", ConfigErrorCodes.BadOverride, "an override must look like section.key=value (e.g. train.learning_rate=3e-4)")]
    [InlineData("train..seed=3", ConfigErrorCodes.BadOverride, "an override must look like section.key=value (e.g. train.learning_rate=3e-4)")]
    [InlineData("train.seed.x=3", ConfigErrorCodes.BadOverride, "'train.seed' is a value, not a section, so 'train.seed.x' does not exist")]
    [InlineData("train.learning_rate=fast", ConfigErrorCodes.WrongType, "train.learning_rate: expected a number, got 'fast'")]
    [InlineData("model.hidden_sizes=[128,", ConfigErrorCodes.BadOverride, "the value of 'model.hidden_sizes' is not a YAML value")]
    [InlineData("train.learning_rate=0", ConfigErrorCodes.OutOfRange, "train.learning_rate must be > 0 (got 0)")]
    [InlineData("base=other.yaml", ConfigErrorCodes.BadOverride, "base: cannot be overridden from the command line")]
    public void BadOverrides_AreReportedAtTheOverride(string token, string code, string message)
    {
        var a = _files.Write("a.yaml", "train:\n  seed: 1\n  learning_rate: 1e-3\n");
        var d = ConfigTestFiles.SingleError(a, "train.seed=2", token);
        Assert.Equal(code, d.Code);
        Assert.Equal(ConfigLocation.ForOverride(2, token), d.Location);
        Assert.StartsWith(message, d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ConflictBetweenFileAndOverride_PointsAtTheOverride_AndNamesTheFilePosition()
    {
        var a = _files.Write("a.yaml", "train:\n  warmup_ratio: 0.1\n");
        var d = ConfigTestFiles.SingleError(a, "train.warmup_steps=50");
        Assert.Equal(ConfigLocation.ForOverride(1, "train.warmup_steps=50"), d.Location);
        Assert.Contains($"train.warmup_ratio is set at {a}(2,3)", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OverrideFixesABadFileValue()
    {
        var a = _files.Write("a.yaml", "train:\n  learning_rate: 0\n");
        Assert.Equal(0.5, ConfigTestFiles.Valid(a, "train.learning_rate=0.5").Train.LearningRate);
    }
}
