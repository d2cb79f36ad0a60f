using System.Globalization;
using LowRankTrainer.Cli.Verbs;
using LowRankTrainer.Config;
using LowRankTrainer.Runs;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Cli;

/// <summary>
/// The <c>lrt</c> verbs. Kept free of Console so tests can run them in-process with their own writers.
/// </summary>
public static class CliApp
{
    private delegate int Verb(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr);

    private static readonly (string Name, string Summary, Verb Run)[] _verbs =
    [
        ("train", "train an experiment: lrt train <config.yaml> [section.key=value ...] [--dry-run] [--nproc N]", TrainVerb.Run),
        ("sweep", "train a config over a grid of values: lrt sweep <config.yaml> key=[v1,v2,...] ... [--dry-run]", SweepVerb.Run),
        ("validate", "check a config, reporting every error as file(line,col)", ValidateVerb.Run),
        ("print-config", "print a config fully resolved (base, overrides, defaults)", PrintConfigVerb.Run),
        ("reproduce", "rerun a paper experiment's missing runs and regenerate its tables and plots: lrt reproduce <name> [--quick]", ReproduceVerb.Run),
        ("report", "tables and plots over any runs: lrt report <run dirs...> [--out DIR] [--x KEY]", ReportVerb.Run),
        ("ls", "list the shipped configs, or the runs in a folder (lrt ls runs [dir])", LsVerb.Run),
        ("inspect", "parameter table of a config's model, or the tensors of a checkpoint", InspectVerb.Run),
        ("eval", "evaluate a finished run's weights as training did: lrt eval <run dir | checkpoint> [overrides] [--split eval|train] [--json]", EvalVerb.Run),
        ("merge", "fold an adapter run's adapter into its base and save the merged model: lrt merge <run dir> [--out DIR] [--probe-batches N]", MergeVerb.Run),
        ("info", "what libtorch the shim runs on (version, CUDA, ABI, BLAS, threads), plus a self-check", Info),
    ];

    private static string Usage()
    {
        var lines = _verbs.Select(v => $"  {v.Name,-14} {v.Summary}");
        return "usage: lrt <verb> [options]   (lrt <verb> --help for details)\n\nverbs:\n" + string.Join("\n", lines) +
               "\n  --version      the lrt version\n\nexit codes: 0 ok, 1 failure, 2 usage or config error, 130 cancelled";
    }

    /// <summary>Runs one invocation and returns the process exit code.</summary>
    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        if (args.Count == 0)
        {
            stderr.WriteLine(Usage());
            return ExitCodes.Usage;
        }
        if (args[0] is "--help" or "-h" or "help")
        {
            stdout.WriteLine(Usage());
            return ExitCodes.Ok;
        }
        if (args[0] == "--version")
        {
            stdout.WriteLine(typeof(CliApp).Assembly.GetName().Version?.ToString(3) ?? "0.0.0");
            return ExitCodes.Ok;
        }
        var verb = _verbs.FirstOrDefault(v => v.Name == args[0]);
        if (verb.Run is null)
        {
            var closest = DidYouMean.Suggest(args[0], _verbs.Select(v => v.Name));
            stderr.WriteLine($"lrt: unknown verb '{args[0]}'{(closest is null ? "" : $" (did you mean '{closest}'?)")}");
            stderr.WriteLine(Usage());
            return ExitCodes.Usage;
        }
        try
        {
            return verb.Run(args.Skip(1).ToList(), stdout, stderr);
        }
        catch (Exception e) when (e is TorchException or DllNotFoundException or TypeInitializationException)
        {
            stderr.WriteLine($"lrt: {(e is TypeInitializationException { InnerException: { } inner } ? inner.Message : e.Message)}");
            return ExitCodes.Failure;
        }
    }

    private static int Info(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Count > 0)
        {
            stderr.WriteLine($"lrt info: unexpected argument '{args[0]}'");
            return ExitCodes.Usage;
        }
        stdout.WriteLine(EnvironmentReport.Capture().ToJson());
        // One real op through the whole chain (C# → shim → libtorch → BLAS) as a self-check.
        using var scope = new DisposeScope();
        var a = Tensor.From([1f, 2f, 3f, 4f], [2, 2]);
        var product = a.MatMul(a).Sum().ToDouble(); // [[7,10],[15,22]] sums to 54
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"self-check: sum([[1,2],[3,4]]²) = {product} (expected 54)"));
        return product == 54 ? ExitCodes.Ok : ExitCodes.Failure;
    }
}
