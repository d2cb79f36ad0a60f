using LowRankTrainer.Config;

namespace LowRankTrainer.Tests.Config;

/// <summary>Each kind of bad config gives one diagnostic at the exact file(line,col) or override.</summary>
public sealed class ConfigErrorTests : IDisposable
{
    private readonly ConfigTestFiles _files = new();

    public void Dispose() => _files.Dispose();

    private static void AssertAt(ConfigDiagnostic d, string path, int line, int column, string code)
    {
        Assert.Equal(code, d.Code);
        Assert.Equal(path, d.Location.File);
        Assert.Equal((line, column), (d.Location.Line, d.Location.Column));
    }

    [Fact]
    public void UnknownKey_IsReportedAtTheKey_WithDidYouMean()
    {
        var path = _files.Write("a.yaml", """
            model:
              name: mlp
            train:
              learning_rate: 1e-3
              num_train_epoch: 2
            """);
        var d = ConfigTestFiles.SingleError(path);
        AssertAt(d, path, 5, 3, ConfigErrorCodes.UnknownKey);
        Assert.Equal("unknown key 'train.num_train_epoch' (did you mean 'train.num_train_epochs'?)", d.Message);
        Assert.Equal($"{path}(5,3): error LRT0101: unknown key 'train.num_train_epoch' (did you mean 'train.num_train_epochs'?)", d.ToString());
    }

    [Fact]
    public void UnknownSection_SuggestsTheSection()
    {
        var path = _files.Write("a.yaml", "trian:\n  seed: 1\n");
        var d = ConfigTestFiles.SingleError(path);
        AssertAt(d, path, 1, 1, ConfigErrorCodes.UnknownKey);
        Assert.Contains("did you mean 'train'?", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DuplicateKey_IsReportedAtTheSecondOccurrence()
    {
        var path = _files.Write("a.yaml", """
            train:
              seed: 1
              learning_rate: 1e-3
              seed: 2
            """);
        var d = ConfigTestFiles.SingleError(path);
        AssertAt(d, path, 4, 3, ConfigErrorCodes.DuplicateKey);
        Assert.Equal("duplicate key 'seed' (first given at line 2, column 3)", d.Message);
    }

    [Fact]
    public void WrongType_IsReportedAtTheValue_WithTheReason()
    {
        var path = _files.Write("a.yaml", """
            train:
              num_train_epochs: eight
            """);
        var d = ConfigTestFiles.SingleError(path);
        AssertAt(d, path, 2, 21, ConfigErrorCodes.WrongType);
        Assert.Equal("train.num_train_epochs: expected a number, got 'eight'", d.Message);
    }

    [Theory]
    [InlineData("train:\n  per_device_train_batch_size: 6.5\n", 2, 32, "expected an integer, got '6.5'")]
    [InlineData("data:\n  shuffle: maybe\n", 2, 12, "expected true or false, got 'maybe'")]
    [InlineData("model:\n  hidden_sizes: 256\n", 2, 17, "expected a list such as [a, b], got '256'")]
    [InlineData("model:\n  hidden_sizes: [256, big]\n", 2, 23, "list item: expected an integer, got 'big'")]
    [InlineData("train: 3\n", 1, 8, "expected a mapping of keys, got '3'")]
    [InlineData("train:\n  learning_rate: \"1e-3\"\n", 2, 18, "expected a number, got '1e-3'")]
    public void WrongTypes_PointAtTheOffendingValue(string yaml, int line, int column, string reason)
    {
        var path = _files.Write("a.yaml", yaml);
        var d = ConfigTestFiles.SingleError(path);
        AssertAt(d, path, line, column, ConfigErrorCodes.WrongType);
        Assert.EndsWith(reason, d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OutOfRange_IsReportedAtTheKey()
    {
        var path = _files.Write("a.yaml", """
            train:
              seed: 1
              learning_rate: 0
            """);
        var d = ConfigTestFiles.SingleError(path);
        AssertAt(d, path, 3, 3, ConfigErrorCodes.OutOfRange);
        Assert.Equal($"{path}(3,3): error LRT0201: train.learning_rate must be > 0 (got 0)", d.ToString());
    }

    [Theory]
    [InlineData("train:\n  per_device_train_batch_size: 0\n", "train.per_device_train_batch_size must be >= 1 (got 0)")]
    [InlineData("train:\n  gradient_accumulation_steps: 0\n", "train.gradient_accumulation_steps must be >= 1 (got 0)")]
    [InlineData("model:\n  dropout: 1.0\n", "model.dropout must be in [0, 1) (got 1)")]
    [InlineData("loss:\n  label_smoothing: -0.1\n", "loss.label_smoothing must be in [0, 1) (got -0.1)")]
    [InlineData("train:\n  warmup_ratio: 1.5\n", "train.warmup_ratio must be in [0, 1) (got 1.5)")]
    [InlineData("train:\n  warmup_steps: -3\n", "train.warmup_steps must be >= 0 (got -3)")]
    [InlineData("train:\n  num_train_epochs: 0\n", "train.num_train_epochs must be > 0 (got 0)")]
    [InlineData("train:\n  max_steps: 0\n", "train.max_steps must be -1 (use num_train_epochs) or > 0 (got 0)")]
    [InlineData("checkpoint:\n  save_total_limit: 0\n", "checkpoint.save_total_limit must be null or >= 1 (got 0)")]
    [InlineData("logging:\n  logging_steps: 0\n", "logging.logging_steps must be >= 1 (got 0)")]
    [InlineData("eval:\n  eval_steps: 0\n", "eval.eval_steps must be >= 1 (got 0)")]
    [InlineData("checkpoint:\n  save_steps: 0\n", "checkpoint.save_steps must be >= 1 (got 0)")]
    [InlineData("train:\n  max_grad_norm: -1\n", "train.max_grad_norm must be >= 0 (0 disables clipping) (got -1)")]
    [InlineData("train:\n  adam_beta2: 1\n", "train.adam_beta2 must be in [0, 1) (got 1)")]
    [InlineData("model:\n  num_classes: 0\n", "model.num_classes must be >= 1 (got 0)")]
    [InlineData("train:\n  empty_cache_steps: -1\n", "train.empty_cache_steps must be null or >= 0 (0 or null: never) (got -1)")]
    public void Ranges_AreChecked_AtLine2Column3(string yaml, string message)
    {
        var path = _files.Write("a.yaml", yaml);
        var d = Assert.Single(ConfigLoader.Load(path, []).Diagnostics, x => x.Code == ConfigErrorCodes.OutOfRange);
        AssertAt(d, path, 2, 3, ConfigErrorCodes.OutOfRange);
        Assert.Equal(message, d.Message);
    }

    [Fact]
    public void HiddenSize_OutOfRange_PointsAtTheListItem()
    {
        var path = _files.Write("a.yaml", "model:\n  hidden_sizes: [256, 0]\n");
        var d = ConfigTestFiles.SingleError(path);
        AssertAt(d, path, 2, 23, ConfigErrorCodes.OutOfRange);
        Assert.Equal("model.hidden_sizes[1] must be >= 1 (got 0)", d.Message);
    }

    [Theory]
    [InlineData("model:\n  num_classes: 2\ndata:\n  classes: [5, 10]\n", "data.classes[1] is 10, not a class of data.dataset fashion_mnist (0–9)")]
    [InlineData("model:\n  num_classes: 2\ndata:\n  classes: [3, 3]\n", "data.classes lists class 3 twice")]
    public void ClassList_Items_AreChecked(string yaml, string message)
    {
        var path = _files.Write("a.yaml", yaml);
        var d = ConfigTestFiles.SingleError(path);
        Assert.Equal(ConfigErrorCodes.OutOfRange, d.Code);
        Assert.Equal(message, d.Message);
        Assert.Equal(4, d.Location.Line);
    }

    [Fact]
    public void ConflictingKeys_NameBothPositions()
    {
        var path = _files.Write("a.yaml", """
            train:
              warmup_ratio: 0.1
              warmup_steps: 100
            """);
        var d = ConfigTestFiles.SingleError(path);
        AssertAt(d, path, 3, 3, ConfigErrorCodes.Conflict);
        Assert.Equal($"train.warmup_steps and train.warmup_ratio cannot both be set; keep one (train.warmup_ratio is set at {path}(2,3))", d.Message);
    }

    [Theory]
    [InlineData("train:\n  optim: adamw_torch\n  momentum: 0.9\n", 3, 3, "train.momentum applies to optim sgd only")]
    [InlineData("train:\n  optim: sgd\n  nesterov: true\n", 3, 3, "train.nesterov needs train.optim sgd and train.momentum > 0")]
    [InlineData("model:\n  name: lenet5\n  image_size: 32\n", 3, 3, "model.name lenet5 needs model.image_size 28 (got 32)")]
    [InlineData("loss:\n  name: mse\n  label_smoothing: 0.1\n", 3, 3, "loss.label_smoothing applies to cross_entropy only")]
    [InlineData("data:\n  dataset: fashion_mnist\n  label_column: y\n", 3, 3, "data.label_column applies to csv/jsonl datasets only")]
    [InlineData("data:\n  classes: [5, 6]\nmodel:\n  num_classes: 10\n", 4, 3, "data.classes keeps 2 classes (renumbered 0–1), but model.num_classes is 10")]
    [InlineData("model:\n  pretrained_skip: [layers.6]\n", 2, 3, "model.pretrained_skip needs model.pretrained")]
    [InlineData("adapter:\n  method: lora\n  target_modules: all-linear\n  exclude_modules: [a]\n  exclude_regex: b\n", 5, 3, "adapter.exclude_regex and adapter.exclude_modules cannot both be set")]
    [InlineData("adapter:\n  method: lora\n  target_modules: [q]\n  layers_pattern: [layers]\n", 4, 3, "adapter.layers_pattern is used only with adapter.layers_to_transform")]
    [InlineData("adapter:\n  method: lora\n  target_regex: x\n  layers_to_transform: [1]\n", 4, 3, "adapter.layers_to_transform filters a target_modules list")]
    public void CrossFieldRules_PointAtTheDependentKey(string yaml, int line, int column, string message)
    {
        var path = _files.Write("a.yaml", yaml);
        var d = ConfigTestFiles.SingleError(path);
        AssertAt(d, path, line, column, ConfigErrorCodes.Conflict);
        Assert.StartsWith(message, d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CsvDataset_WithoutItsKeys_ReportsEachMissingKey_AtTheDatasetKey()
    {
        var path = _files.Write("a.yaml", "data:\n  dataset: csv\n");
        var diagnostics = ConfigLoader.Load(path, []).Diagnostics;
        Assert.Equal(3, diagnostics.Count);
        Assert.All(diagnostics, d => AssertAt(d, path, 2, 3, ConfigErrorCodes.Missing));
        Assert.Equal(
            ["data.dataset csv needs data.path (the training file)", "data.dataset csv needs data.feature_columns", "data.dataset csv needs data.label_column"],
            diagnostics.Select(d => d.Message));
    }

    [Fact]
    public void CsvDataset_WithItsKeys_IsValid()
    {
        var path = _files.Write("a.yaml", """
            data:
              dataset: csv
              path: train.csv
              feature_columns: [x1, x2]
              label_column: y
            """);
        var config = ConfigTestFiles.Valid(path);
        Assert.Equal(["x1", "x2"], config.Data.FeatureColumns);
    }

    [Theory]
    [InlineData("model:\n  name: mpl\n", "model.name must be one of mlp, resmlp, lenet5, cnn, linear, bert, gpt2, llama, roberta (got 'mpl'; did you mean 'mlp'?)")]
    [InlineData("train:\n  optim: adamw\n", "train.optim must be one of adamw_torch, adamw_torch_fused, sgd (got 'adamw'; did you mean 'adamw_torch'?)")]
    [InlineData("train:\n  optim: adamw_torch_fuse\n", "train.optim must be one of adamw_torch, adamw_torch_fused, sgd (got 'adamw_torch_fuse'; did you mean 'adamw_torch_fused'?)")]
    [InlineData("train:\n  lr_scheduler_type: cosin\n", "train.lr_scheduler_type must be one of linear, cosine, constant (got 'cosin'; did you mean 'cosine'?)")]
    [InlineData("eval:\n  eval_strategy: epochs\n", "eval.eval_strategy must be one of no, steps, epoch (got 'epochs'; did you mean 'epoch'?)")]
    [InlineData("data:\n  dataset: fashion-mnist\n", "data.dataset must be one of fashion_mnist, csv, jsonl, text_jsonl, text_csv, spam_assassin, text_lm, brown, brown_pairs, synthetic_linear (got 'fashion-mnist'; did you mean 'fashion_mnist'?)")]
    [InlineData("loss:\n  name: crossentropy\n", "loss.name must be one of cross_entropy, mse (got 'crossentropy'; did you mean 'cross_entropy'?)")]
    [InlineData("train:\n  device: gpu\n", "train.device must be auto, cpu, cuda or cuda:N (got 'gpu')")]
    public void BadChoice_IsReportedAtTheKey_WithDidYouMean(string yaml, string message)
    {
        var path = _files.Write("a.yaml", yaml);
        var d = ConfigTestFiles.SingleError(path);
        AssertAt(d, path, 2, 3, ConfigErrorCodes.InvalidChoice);
        Assert.Equal(message, d.Message);
    }

    [Theory]
    [InlineData("cuda")]
    [InlineData("cuda:1")]
    [InlineData("auto")]
    [InlineData("cpu")]
    public void Devices_AreValid(string device)
    {
        var path = _files.Write("a.yaml", $"train:\n  device: {device}\n");
        Assert.Equal(device, ConfigTestFiles.Valid(path).Train.Device);
    }

    [Theory]
    [InlineData("adamw_torch")]
    [InlineData("adamw_torch_fused")]
    [InlineData("sgd")]
    public void KnownOptimizers_AreValid(string optim)
    {
        var path = _files.Write("a.yaml", $"train:\n  optim: {optim}\n");
        Assert.Equal(optim, ConfigTestFiles.Valid(path).Train.Optim);
    }

    [Fact]
    public void StrategyNo_IsTheStringNo_NotABoolean()
    {
        var path = _files.Write("a.yaml", "eval:\n  eval_strategy: no\ncheckpoint:\n  save_strategy: no\n");
        var config = ConfigTestFiles.Valid(path);
        Assert.Equal("no", config.Eval.EvalStrategy);
        Assert.Equal("no", config.Checkpoint.SaveStrategy);
    }

    [Fact]
    public void SeveralErrors_AreAllReported_InFileOrder()
    {
        var path = _files.Write("a.yaml", """
            model:
              nmae: mlp
            train:
              seed: x
              learning_rat: 1
            """);
        var diagnostics = ConfigLoader.Load(path, []).Diagnostics;
        Assert.Equal([(2, 3), (4, 9), (5, 3)], diagnostics.Select(d => (d.Location.Line, d.Location.Column)));
        Assert.Equal([ConfigErrorCodes.UnknownKey, ConfigErrorCodes.WrongType, ConfigErrorCodes.UnknownKey], diagnostics.Select(d => d.Code));
    }

    [Fact]
    public void MalformedYaml_IsASyntaxErrorWithAPosition()
    {
        var path = _files.Write("a.yaml", "train:\n  seed: [1, 2\nmodel: {}\n");
        var d = ConfigTestFiles.SingleError(path);
        Assert.Equal(ConfigErrorCodes.Syntax, d.Code);
        Assert.Equal(path, d.Location.File);
        Assert.True(d.Location.Line >= 2, d.ToString());
    }

    [Fact]
    public void TabIndentation_IsReportedOnItsLine()
    {
        var path = _files.Write("a.yaml", "train:\n\tseed: 1\n");
        var d = ConfigTestFiles.SingleError(path);
        Assert.Equal((ConfigErrorCodes.Syntax, 2), (d.Code, d.Location.Line));
        Assert.Contains("tab", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TopLevelList_IsRejected()
    {
        var path = _files.Write("a.yaml", "- a\n- b\n");
        var d = ConfigTestFiles.SingleError(path);
        AssertAt(d, path, 1, 1, ConfigErrorCodes.Syntax);
    }

    [Fact]
    public void MissingFile_IsAFileNotFoundDiagnostic()
    {
        var path = Path.Combine(_files.Root, "nope.yaml");
        var d = ConfigTestFiles.SingleError(path);
        Assert.Equal(ConfigErrorCodes.FileNotFound, d.Code);
        Assert.Equal($"{path}: error LRT0105: config file not found: {path}", d.ToString());
    }
}
