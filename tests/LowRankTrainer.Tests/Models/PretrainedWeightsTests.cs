using LowRankTrainer.Checkpoints.Safetensors;
using LowRankTrainer.Config;
using LowRankTrainer.Models;
using LowRankTrainer.Tests.Training;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Tests.Models;

/// <summary><c>model.pretrained</c> / <c>model.pretrained_skip</c>: strict loading, fresh skipped modules, errors that copy nothing.</summary>
public sealed class PretrainedWeightsTests : IDisposable
{
    private static readonly ModelConfig Mlp = new() { Name = "mlp", HiddenSizes = [8], NumClasses = 3 };
    private readonly string _dir = Directory.CreateTempSubdirectory("lrt-pretrained-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Module<Tensor, Tensor> Fresh(ModelConfig config, ulong seed)
    {
        using var g = new Generator(seed);
        return ModelFactory.Create(config, g, 5);
    }

    /// <summary>Writes a seed-99 model's weights (minus <paramref name="drop"/>, plus <paramref name="extra"/>) and returns the file.</summary>
    private string Save(string name, string? drop = null, string? extra = null, string kind = "full")
    {
        using var source = Fresh(Mlp, 99);
        using var state = source.StateDict();
        var tensors = state.Where(e => e.Key != drop).ToList();
        using var extraTensor = Tensor.Ones([2]);
        if (extra is not null) tensors.Add(new(extra, extraTensor));
        var path = Path.Combine(_dir, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        SafetensorsWriter.Write(path, tensors, new Dictionary<string, string> { ["lrt_weights"] = kind });
        return path;
    }

    private static void AssertSameState(Module<Tensor, Tensor> expected, Module<Tensor, Tensor> actual, Func<string, bool>? which = null)
    {
        using var a = expected.StateDict();
        using var b = actual.StateDict();
        foreach (var (name, value) in a)
        {
            if (which is null || which(name)) Assert.True(value.ValueEquals(b[name]), name);
        }
    }

    [Fact]
    public void Build_CopiesEveryTensor_FromAFileOrARunFoldersFinal()
    {
        var file = Save(Path.Combine("run", "final", PretrainedWeights.FileName));
        using var source = Fresh(Mlp, 99);
        foreach (var path in new[] { file, Path.Combine(_dir, "run", "final"), Path.Combine(_dir, "run") })
        {
            using var g = new Generator(1);
            using var model = ModelFactory.Build(Mlp with { Pretrained = path }, g, 5);
            AssertSameState(source, model);
            Assert.Equal(file, PretrainedWeights.Resolve(path));
        }
    }

    [Fact]
    public void SkippedModules_KeepTheirFreshInitialisation()
    {
        var file = Save("m.safetensors");
        using var source = Fresh(Mlp, 99);
        using var fresh = Fresh(Mlp, 1);
        using var g = new Generator(1);
        using var model = ModelFactory.Build(Mlp with { Pretrained = file, PretrainedSkip = ["layers.2"] }, g, 5);
        AssertSameState(source, model, n => n.StartsWith("layers.0.", StringComparison.Ordinal));
        AssertSameState(fresh, model, n => n.StartsWith("layers.2.", StringComparison.Ordinal));
    }

    [Fact]
    public void MisfittingFiles_AreErrorsNamingFileAndTensors_AndCopyNothing()
    {
        var missing = Save("missing.safetensors", drop: "layers.2.bias");
        var extra = Save("extra.safetensors", extra: "layers.9.weight");
        var trainable = Save("trainable.safetensors", kind: "trainable");
        var wide = Path.Combine(_dir, "wide.safetensors");
        using (var w = Fresh(Mlp with { HiddenSizes = [9] }, 5))
        using (var state = w.StateDict())
        {
            SafetensorsWriter.Write(wide, state, new Dictionary<string, string>());
        }
        (string Path, string[] Skip, string Message)[] cases =
        [
            (missing, [], $"model.pretrained: {missing} lacks layers.2.bias"),
            (extra, [], $"model.pretrained: {extra} holds tensors the model does not have: layers.9.weight"),
            (trainable, [], $"model.pretrained: {trainable} holds only the trainable modules"),
            (wide, [], $"model.pretrained: {wide} does not fit the model"),
            (missing, ["layers.7"], "model.pretrained_skip: layers.7 names no tensor of the model; its tensors are layers.0.weight, layers.0.bias, layers.2.weight, layers.2.bias"),
        ];
        foreach (var (path, skip, message) in cases)
        {
            using var model = Fresh(Mlp, 1);
            using var fresh = Fresh(Mlp, 1);
            var e = Assert.Throws<InvalidDataException>(() => PretrainedWeights.Load(model, path, skip));
            Assert.StartsWith(message, e.Message, StringComparison.Ordinal);
            AssertSameState(fresh, model);
        }
        Assert.Contains("layers.0.weight", Assert.Throws<InvalidDataException>(() => PretrainedWeights.Load(Fresh(Mlp, 1), wide, [])).Message, StringComparison.Ordinal);
        // The skip list fixes a missing head: the missing tensor is under it.
        using (var model = Fresh(Mlp, 1)) PretrainedWeights.Load(model, missing, ["layers.2"]);
    }

    [Fact]
    public void NoWeights_IsFileNotFound_WithAHintForAdapterFolders()
    {
        var folder = Path.Combine(_dir, "adapter-run", "final");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "adapter_model.safetensors"), "");
        var e = Assert.Throws<FileNotFoundException>(() => PretrainedWeights.Resolve(Path.Combine(_dir, "adapter-run")));
        Assert.Contains("it holds an adapter", e.Message, StringComparison.Ordinal);
        Assert.Throws<FileNotFoundException>(() => PretrainedWeights.Resolve(Path.Combine(_dir, "nowhere")));
    }

    [Fact]
    public void Trainer_AdaptsAPretrainedBase_WithAFreshHead_AndReportsStepTimeAndMemory()
    {
        using var tiny = new TinyRun();
        // 2,048 hidden units: the training state (hundreds of KiB) stands well above the C heap's background noise
        // (the runtime's own mallocs move it by tens of KiB), so the memory check below cannot pass or fail by chance.
        var pretrain = tiny.Run(tiny.Config("pretrain") with { Model = tiny.Config().Model with { Dropout = 0, HiddenSizes = [2048] } });
        var config = LoraTrainingTests.LoraConfig(tiny);
        config = config with
        {
            Model = config.Model with { Pretrained = pretrain.RunDirectory, PretrainedSkip = ["layers.2"], HiddenSizes = [2048] },
            Train = config.Train with { OutputDir = Path.Combine(tiny.Root, "adapt") },
        };
        var result = tiny.Run(config);

        // Frozen pretrained base + saved adapter reproduces the final eval loss bit for bit; the random base does not.
        double EvalLoss(bool pretrained)
        {
            using var g = new Generator(7);
            using var model = pretrained ? ModelFactory.Build(config.Model, g, 16) : ModelFactory.Create(config.Model, g, 16);
            LowRankTrainer.Adapters.AdapterCheckpoint.Load(model, Path.Combine(result.RunDirectory, "final"));
            return new LowRankTrainer.Training.LossFunction(config.Loss).Evaluate(model, tiny.Eval, 64).Loss;
        }
        Assert.Equal(result.Summary.EvalLoss, EvalLoss(pretrained: true));
        Assert.NotEqual(result.Summary.EvalLoss, EvalLoss(pretrained: false));
        var s = result.Summary;
        Assert.True(s.TrainStepSeconds > 0);
        Assert.True(s.PeakRssBytes >= s.RssAtTrainStartBytes, $"{s.PeakRssBytes} < {s.RssAtTrainStartBytes}");
        // Training adds at least every trainable tensor's gradient and its two AdamW moments (3 floats per parameter).
        Assert.True(s.PeakHeapBytes - s.HeapAtTrainStartBytes >= 3 * 4 * s.NumTrainableParams, $"heap {s.HeapAtTrainStartBytes} → peak {s.PeakHeapBytes}, {s.NumTrainableParams} trainable");
    }
}
