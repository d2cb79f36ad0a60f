using LowRankTrainer.Data.Text;

namespace LowRankTrainer.Tests.Data.Text;

public class SeededSplitTests
{
    private static readonly (string Key, string Class)[] Items =
        [.. Enumerable.Range(0, 100).Select(i => ($"item-{i:D3}", i < 70 ? "a" : "b"))];

    [Fact]
    public void Split_IsStratified_Disjoint_AndComplete()
    {
        var (train, test) = SeededSplit.Split(Items, x => x.Key, x => x.Class, 0.25, seed: 3);

        Assert.Equal(18, test.Count(x => x.Class == "a")); // round(70 × 0.25 = 17.5) away from zero
        Assert.Equal(8, test.Count(x => x.Class == "b"));  // round(30 × 0.25 = 7.5)
        Assert.Empty(train.Intersect(test));
        Assert.Equal(Items.Order(), train.Concat(test).Order());
    }

    [Fact]
    public void Split_SameSeed_SameSplitAndOrder_OtherSeed_OtherSplit()
    {
        var first = SeededSplit.Split(Items, x => x.Key, x => x.Class, 0.2, seed: 1);
        var again = SeededSplit.Split(Items.Reverse().ToArray(), x => x.Key, x => x.Class, 0.2, seed: 1);
        var other = SeededSplit.Split(Items, x => x.Key, x => x.Class, 0.2, seed: 2);

        Assert.Equal(first.Test, again.Test);
        Assert.Equal(first.Train, again.Train);
        Assert.NotEqual(first.Test.Order(), other.Test.Order());
    }

    [Fact]
    public void Rank_IsSha256OfSeedColonKey_BigEndian()
    {
        // sha256("0:spam-1/00001") computed independently:
        //   python3 -c "import hashlib; print(hashlib.sha256(b'0:spam-1/00001').hexdigest()[:16])"
        Assert.Equal(0x905d67c8192e46adUL, SeededSplit.Rank(0, "spam-1/00001"));
    }

    [Fact]
    public void Split_ZeroFraction_KeepsEverythingForTraining_DuplicateKeysAreRejected()
    {
        var (train, test) = SeededSplit.Split(Items, x => x.Key, x => x.Class, 0, seed: 0);
        Assert.Equal(100, train.Count);
        Assert.Empty(test);
        Assert.Throws<ArgumentException>(() => SeededSplit.Split(["a", "a"], x => x, _ => "", 0.5, 0));
        Assert.Throws<ArgumentException>(() => SeededSplit.Split(["a"], x => x, _ => "", 1.0, 0));
    }
}
