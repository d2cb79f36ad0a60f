namespace LowRankTrainer.Experiments;

/// <summary>
/// One group of runs of an experiment: a config, overrides, and a grid (<c>lrt sweep</c>'s <c>key=[v1,v2]</c>
/// axes; the last varies fastest), with what the quick version changes.
/// </summary>
/// <param name="Name">Folder-safe name (<c>results/&lt;name&gt;/</c>).</param>
/// <param name="Config">The config file, relative to the experiment folder.</param>
/// <param name="Set">Overrides for every run, as <c>key=value</c>.</param>
/// <param name="Grid">Swept axes, as <c>key=[v1, v2]</c>.</param>
/// <param name="Zip">Axes that vary together (<c>zip: {adapter.r: [1, 2], adapter.lora_alpha: [1, 2]}</c>: run i takes
/// value i of each), as <c>key=[v1, v2]</c>; the zipped combination is one more axis of the grid, varying slowest.</param>
/// <param name="Inputs">Config key → earlier group (of one run) whose run folder's <c>final/</c> the key receives
/// (<c>model.pretrained: pretrain</c>).</param>
/// <param name="QuickSet">Extra overrides of the quick version.</param>
/// <param name="QuickGrid">Axes the quick version replaces or adds.</param>
/// <param name="QuickSkip">The quick version leaves the group out.</param>
public sealed record RunGroup(
    string Name,
    string Config,
    IReadOnlyList<string> Set,
    IReadOnlyList<string> Grid,
    IReadOnlyList<string> Zip,
    IReadOnlyDictionary<string, string> Inputs,
    IReadOnlyList<string> QuickSet,
    IReadOnlyList<string> QuickGrid,
    bool QuickSkip);

/// <summary>
/// An experiment folder's <c>experiment.yaml</c>: the paper, the run groups, the tables and plots that
/// <c>lrt reproduce</c> writes, and how values and keys are shown.
/// </summary>
/// <param name="Name">The folder name (<c>lrt reproduce &lt;name&gt;</c>).</param>
/// <param name="Folder">The experiment folder.</param>
/// <param name="Title">The heading of results.md.</param>
/// <param name="Paper">The paper reproduced (cited in results.md).</param>
/// <param name="Groups">Run groups in execution order.</param>
/// <param name="QuickSet">Overrides of every group's quick version.</param>
/// <param name="QuickGrid">Axes the quick version replaces in every group that sweeps them.</param>
/// <param name="Tables">Results tables.</param>
/// <param name="Plots">Line plots.</param>
/// <param name="Names">Display names of values.</param>
/// <param name="Labels">Display names of keys.</param>
public sealed record ExperimentManifest(
    string Name,
    string Folder,
    string Title,
    string Paper,
    IReadOnlyList<RunGroup> Groups,
    IReadOnlyList<string> QuickSet,
    IReadOnlyList<string> QuickGrid,
    IReadOnlyList<TableSpec> Tables,
    IReadOnlyList<PlotSpec> Plots,
    IReadOnlyDictionary<string, string> Names,
    IReadOnlyDictionary<string, string> Labels)
{
    /// <summary>The manifest's file name inside an experiment folder.</summary>
    public const string FileName = "experiment.yaml";

    /// <summary>The paper's numbers, beside the manifest.</summary>
    public const string ReportedFileName = "reported.csv";
}
