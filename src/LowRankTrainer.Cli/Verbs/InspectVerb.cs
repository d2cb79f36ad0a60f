using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using LowRankTrainer.Adapters;
using LowRankTrainer.Checkpoints.Safetensors;
using LowRankTrainer.Config;
using LowRankTrainer.Models;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;
using LowRankTrainer.Training;

namespace LowRankTrainer.Cli.Verbs;

/// <summary>
/// <c>lrt inspect &lt;config.yaml | checkpoint folder | file.safetensors&gt;</c>: the parameter table with
/// PEFT's trainable-count line for a config's model, or the tensors of a saved checkpoint.
/// </summary>
public static class InspectVerb
{
    /// <summary>The verb's help text.</summary>
    public const string Usage =
        """
        usage: lrt inspect <config.yaml [section.key=value ...] | checkpoint-folder | file.safetensors>

        For a config: builds the model (with its adapter injected, if adapter.method is set) and
        prints every parameter (name, shape, count, trainable) and "trainable params: N || all
        params: M || trainable%: P". For a checkpoint folder or a .safetensors file: every tensor
        (name, dtype, shape, count), the metadata and the file size; for an adapter folder
        (adapter_model.safetensors) also the method, r, lora_alpha and target modules.
        """;

    /// <summary>Runs the verb with the arguments after <c>inspect</c>; returns the exit code.</summary>
    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        if (VerbHelp.Handled(args, Usage, stdout, stderr, out var helpCode)) return helpCode;
        var target = args[0];
        var adapterFolder = Directory.Exists(target) && File.Exists(Path.Combine(target, AdapterCheckpoint.WeightsFile));
        var file = Directory.Exists(target) ? Path.Combine(target, adapterFolder ? AdapterCheckpoint.WeightsFile : "model.safetensors") : target;
        if (file.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
        {
            if (args.Count > 1)
            {
                stderr.WriteLine($"lrt inspect: unexpected argument '{args[1]}' after a checkpoint");
                return ExitCodes.Usage;
            }
            var code = InspectFile(file, stdout, stderr);
            return code == ExitCodes.Ok && adapterFolder ? DescribeAdapter(target, stdout, stderr) : code;
        }
        var config = ConfigVerbArgs.Load("inspect", Usage, args, stdout, stderr, out var exitCode);
        if (config is null) return exitCode;
        try
        {
            using var model = BuildModel(config, out var adapter);
            if (adapter is not null) stdout.WriteLine(adapter.Describe());
            stdout.Write(ParameterSummary.Of(model).ToTable());
            return ExitCodes.Ok;
        }
        catch (ArgumentException e)
        {
            stderr.WriteLine($"lrt inspect: {e.Message}");
            return ExitCodes.Usage;
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            stderr.WriteLine($"lrt inspect: {e.Message}");
            return ExitCodes.Failure;
        }
    }

    /// <summary>
    /// Builds the config's model as the trainer does: the base from <c>train.seed</c>, then the adapter
    /// injected (<paramref name="adapter"/>), or <c>modules_to_save</c> applied for method <c>none</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The adapter does not fit the model (the message lists its modules).</exception>
    internal static Module BuildModel(ExperimentConfig config, out AdapterModel? adapter)
    {
        using var generator = new Generator(unchecked((ulong)config.Train.Seed));
        // synthetic_linear fixes the model's widths in the config (d inputs, d outputs); other data sizes it at load time.
        long? width = config.Data.Dataset == "synthetic_linear" ? config.Data.SyntheticDim : null;
        var model = ModelFactory.Build(config.Model, generator, width, config.Loss, outputFeatures: width);
        try
        {
            var options = AdapterConfigMapper.ToOptions(config.Adapter, config.Train.Seed);
            adapter = options is null ? null : Trainer.InjectAdapter(model, options);
            if (adapter is null) TrainableParameters.Apply(model, config.Adapter.ModulesToSave);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private static int DescribeAdapter(string folder, TextWriter stdout, TextWriter stderr)
    {
        var path = Path.Combine(folder, AdapterCheckpoint.ConfigFile);
        try
        {
            var config = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new FormatException("not a JSON object");
            var peftType = config["peft_type"]?.GetValue<string>() ?? throw new FormatException("no peft_type");
            var method = AdapterRegistry.Methods.FirstOrDefault(m => string.Equals(m.PeftType, peftType, StringComparison.OrdinalIgnoreCase))?.Name ?? "(not registered)";
            stdout.WriteLine($"adapter: {method} (peft_type {peftType})");
            if (config["r"] is { } r) stdout.WriteLine($"r: {r.ToJsonString()}");
            if (config["lora_alpha"] is { } alpha) stdout.WriteLine($"lora_alpha: {alpha.ToJsonString()}");
            stdout.WriteLine($"target_modules: {config["target_modules"]?.ToJsonString() ?? "null"}");
            if (config["modules_to_save"] is { } save) stdout.WriteLine($"modules_to_save: {save.ToJsonString()}");
            return ExitCodes.Ok;
        }
        catch (Exception e) when (e is FormatException or JsonException or InvalidOperationException or IOException)
        {
            stderr.WriteLine($"lrt inspect: {path}: {e.Message}");
            return ExitCodes.Failure;
        }
    }

    private static int InspectFile(string path, TextWriter stdout, TextWriter stderr)
    {
        if (!File.Exists(path))
        {
            stderr.WriteLine($"lrt inspect: no such file: {path}");
            return ExitCodes.Usage;
        }
        try
        {
            using var file = SafetensorsFile.Open(path);
            long total = 0;
            foreach (var t in file.Tensors)
            {
                var count = t.Shape.Aggregate(1L, (a, b) => a * b);
                total += count;
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{t.Name,-40} {t.DTypeCode,-5} [{string.Join(", ", t.Shape)}] {count:N0}"));
            }
            foreach (var (key, value) in file.Metadata) stdout.WriteLine($"metadata {key}: {value}");
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{file.Tensors.Count} tensors, {total:N0} elements, {new FileInfo(path).Length:N0} bytes"));
            return ExitCodes.Ok;
        }
        catch (SafetensorsFormatException e)
        {
            stderr.WriteLine($"lrt inspect: {e.Message}");
            return ExitCodes.Failure;
        }
    }
}
