using System.Globalization;
using LowRankTrainer.Checkpoints.Safetensors;
using LowRankTrainer.Models;
using LowRankTrainer.Torch;
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

        For a config: builds the model and prints every parameter (name, shape, count, trainable)
        and "trainable params: N || all params: M || trainable%: P". For a checkpoint folder or a
        .safetensors file: every tensor (name, dtype, shape, count), the metadata and the file size.
        """;

    /// <summary>Runs the verb with the arguments after <c>inspect</c>; returns the exit code.</summary>
    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        if (args.Count == 0 || args[0] is "--help" or "-h")
        {
            (args.Count == 0 ? stderr : stdout).WriteLine(Usage);
            return args.Count == 0 ? ExitCodes.Usage : ExitCodes.Ok;
        }
        var target = args[0];
        var file = Directory.Exists(target) ? Path.Combine(target, "model.safetensors") : target;
        if (file.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
        {
            if (args.Count > 1)
            {
                stderr.WriteLine($"lrt inspect: unexpected argument '{args[1]}' after a checkpoint");
                return ExitCodes.Usage;
            }
            return InspectFile(file, stdout, stderr);
        }
        var config = ConfigVerbArgs.Load("inspect", Usage, args, stdout, stderr, out var exitCode);
        if (config is null) return exitCode;
        try
        {
            using var generator = new Generator(unchecked((ulong)config.Train.Seed));
            using var model = ModelFactory.Create(config.Model, generator);
            TrainableParameters.Apply(model, config.Adapter.ModulesToSave);
            stdout.Write(ParameterSummary.Of(model).ToTable());
            return ExitCodes.Ok;
        }
        catch (ArgumentException e)
        {
            stderr.WriteLine($"lrt inspect: {e.Message}");
            return ExitCodes.Usage;
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
