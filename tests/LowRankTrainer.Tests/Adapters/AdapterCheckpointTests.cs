using System.Text.Json.Nodes;
using LowRankTrainer.Adapters;
using LowRankTrainer.Adapters.Lora;
using LowRankTrainer.Checkpoints.Safetensors;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;
using static LowRankTrainer.Tests.Adapters.AdapterTestHelpers;

namespace LowRankTrainer.Tests.Adapters;

public sealed class AdapterCheckpointTests : IDisposable
{
    private readonly string _folder = TempFolder();

    public void Dispose()
    {
        if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public void Save_WritesPeftKeysShapesAndConfig()
    {
        using var model = AdapterTestModels.Toy();
        var options = new LoraOptions
        {
            TargetModules = ["q_proj", "fc1"], R = 4, Alpha = 16, UseRsLora = true, ModulesToSave = ["classifier"],
            RankPattern = new Dictionary<string, int> { ["fc1"] = 2 },
        };
        AdapterCheckpoint.Save(AdapterModel.Inject(model, options), _folder);

        using (var file = SafetensorsFile.Open(Path.Combine(_folder, AdapterCheckpoint.WeightsFile)))
        {
            var shapes = file.Tensors.ToDictionary(t => t.Name, t => t.Shape.ToArray());
            Assert.Equal(
                new[]
                {
                    "base_model.model.blocks.0.q_proj.lora_A.weight", "base_model.model.blocks.0.q_proj.lora_B.weight",
                    "base_model.model.blocks.1.q_proj.lora_A.weight", "base_model.model.blocks.1.q_proj.lora_B.weight",
                    "base_model.model.classifier.bias", "base_model.model.classifier.weight",
                    "base_model.model.fc1.lora_A.weight", "base_model.model.fc1.lora_B.weight",
                },
                shapes.Keys.Order(StringComparer.Ordinal));
            Assert.Equal([4L, 8L], shapes["base_model.model.blocks.0.q_proj.lora_A.weight"]);  // (r, d_in)
            Assert.Equal([8L, 4L], shapes["base_model.model.blocks.0.q_proj.lora_B.weight"]);  // (d_out, r)
            Assert.Equal([2L, 8L], shapes["base_model.model.fc1.lora_A.weight"]);
            Assert.Equal([12L, 2L], shapes["base_model.model.fc1.lora_B.weight"]);
        }

        var config = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(_folder, AdapterCheckpoint.ConfigFile)))!;
        Assert.Equal("LORA", config["peft_type"]!.GetValue<string>());
        Assert.Equal(4, config["r"]!.GetValue<int>());
        Assert.Equal(16, config["lora_alpha"]!.GetValue<double>());
        Assert.True(config["use_rslora"]!.GetValue<bool>());
        Assert.True(config["init_lora_weights"]!.GetValue<bool>());
        Assert.Equal("none", config["bias"]!.GetValue<string>());
        Assert.Equal(["q_proj", "fc1"], config["target_modules"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(["classifier"], config["modules_to_save"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(2, config["rank_pattern"]!["fc1"]!.GetValue<int>());
    }

    [Fact]
    public void ReadOptions_RegexTargetsGaussianAndBias_RoundTrip()
    {
        using var model = AdapterTestModels.Toy();
        var options = new LoraOptions { TargetRegex = @"blocks\.\d\.v_proj", Init = LoraInit.Gaussian, Bias = AdapterBias.AdapterOnly, Dropout = 0.05 };
        AdapterCheckpoint.Save(AdapterModel.Inject(model, options), _folder);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(_folder, AdapterCheckpoint.ConfigFile)))!;
        Assert.Equal(@"blocks\.\d\.v_proj", config["target_modules"]!.GetValue<string>());
        Assert.Equal("lora_only", config["bias"]!.GetValue<string>());
        Assert.Equal("gaussian", config["init_lora_weights"]!.GetValue<string>());
        var back = Assert.IsType<LoraOptions>(AdapterCheckpoint.ReadOptions(_folder));
        Assert.Equal(options.TargetRegex, back.TargetRegex);
        Assert.Equal(LoraInit.Gaussian, back.Init);
        Assert.Equal(AdapterBias.AdapterOnly, back.Bias);
        Assert.Equal(0.05, back.Dropout);
    }

    [Fact]
    public void ReadOptions_ExcludeRegexAndLayerFilter_RoundTripInPeftsForms()
    {
        using var model = AdapterTestModels.Toy();
        var options = new LoraOptions { TargetModules = ["q_proj", "v_proj"], ExcludeRegex = @".*\.1\.v_proj", LayersToTransform = [1], LayersPattern = ["blocks"] };
        var adapted = AdapterModel.Inject(model, options);
        Assert.Equal(["blocks.1.q_proj"], adapted.Layers.Select(l => l.Name));
        AdapterCheckpoint.Save(adapted, _folder);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(_folder, AdapterCheckpoint.ConfigFile)))!;
        Assert.Equal(@".*\.1\.v_proj", config["exclude_modules"]!.GetValue<string>());    // PEFT: a string is a regex
        Assert.Equal([1], config["layers_to_transform"]!.AsArray().Select(n => n!.GetValue<int>()));
        Assert.Equal(["blocks"], config["layers_pattern"]!.AsArray().Select(n => n!.GetValue<string>()));
        var back = Assert.IsType<LoraOptions>(AdapterCheckpoint.ReadOptions(_folder));
        Assert.Equal(options.ExcludeRegex, back.ExcludeRegex);
        Assert.Equal([1], back.LayersToTransform);
        Assert.Equal(["blocks"], back.LayersPattern);

        // PEFT also writes one index as a bare integer and one pattern as a bare string.
        config["layers_to_transform"] = 0;
        config["layers_pattern"] = "blocks";
        File.WriteAllText(Path.Combine(_folder, AdapterCheckpoint.ConfigFile), config.ToJsonString());
        back = Assert.IsType<LoraOptions>(AdapterCheckpoint.ReadOptions(_folder));
        Assert.Equal([0], back.LayersToTransform);
        Assert.Equal(["blocks"], back.LayersPattern);
    }

    [Fact]
    public void LoadWeights_WrongShapeOrExtraKey_FailsAndCopiesNothing()
    {
        using var model = AdapterTestModels.Toy();
        var adapted = AdapterModel.Inject(model, new LoraOptions { TargetModules = ["fc1"], R = 4 });
        Perturb(adapted);
        AdapterCheckpoint.Save(adapted, _folder);
        var path = Path.Combine(_folder, AdapterCheckpoint.WeightsFile);
        var tensors = SafetensorsFile.ReadAll(path);
        using (var scope = new DisposeScope())
        {
            tensors["base_model.model.fc1.lora_A.weight"].Dispose();
            tensors["base_model.model.fc1.lora_A.weight"] = Tensor.Zeros(3, 8);
            tensors["base_model.model.fc9.lora_A.weight"] = Tensor.Zeros(1);
            SafetensorsWriter.Write(path, tensors);
        }

        using var fresh = AdapterTestModels.Toy();
        var e = Assert.Throws<LoadStateDictException>(() => AdapterCheckpoint.Load(fresh, _folder));
        Assert.Contains("base_model.model.fc9.lora_A.weight", e.UnexpectedKeys);
        Assert.Equal("base_model.model.fc1.lora_A.weight", Assert.Single(e.MismatchedKeys).Key);
    }

    [Fact]
    public void LoadWeights_WhileMerged_IsRefused()
    {
        using var model = AdapterTestModels.Toy();
        var adapted = AdapterModel.Inject(model, new LoraOptions { TargetModules = ["fc1"] });
        AdapterCheckpoint.Save(adapted, _folder);
        adapted.Merge();
        Assert.Throws<InvalidOperationException>(() => AdapterCheckpoint.LoadWeights(adapted, _folder));
    }

    [Fact]
    public void Load_UnsupportedLoraVariant_IsRefused()
    {
        using var model = AdapterTestModels.Toy();
        AdapterCheckpoint.Save(AdapterModel.Inject(model, new LoraOptions { TargetModules = ["fc1"] }), _folder);
        var path = Path.Combine(_folder, AdapterCheckpoint.ConfigFile);
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"use_dora\": false", "\"use_dora\": true", StringComparison.Ordinal));
        Assert.Throws<NotSupportedException>(() => AdapterCheckpoint.ReadOptions(_folder));
    }
}
