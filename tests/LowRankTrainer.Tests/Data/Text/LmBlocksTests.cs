using LowRankTrainer.Data.Text;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Tests.Data.Text;

public class LmBlocksTests
{
    [Fact]
    public void Concatenate_PutsEosBetweenDocuments_NotAfterTheLast()
    {
        Assert.Equal([1, 2, 9, 3, 9, 4, 5], LmBlocks.Concatenate([[1, 2], [3], [4, 5]], eosId: 9));
        Assert.Equal([1, 2, 3, 4, 5], LmBlocks.Concatenate([[1, 2], [3], [4, 5]], eosId: null));
    }

    [Fact]
    public void Pack_CutsRowsOfBlockSizePlusOne_TargetsAreInputsShiftedByOne_TailDropped()
    {
        var stream = Enumerable.Range(100, 23).ToList(); // 23 tokens, rows of 5: 4 rows, 3 dropped

        using var data = LmBlocks.Pack(stream, blockSize: 4, "test");
        using var scope = new DisposeScope();

        Assert.Equal([4L, 4], data.Inputs.Shape);
        Assert.Equal([4L, 4], data.Targets.Shape);
        Assert.Equal(DType.Int64, data.Inputs.DType);
        Assert.Equal(DType.Int64, data.Targets.DType);
        Assert.Equal([100L, 101, 102, 103, 105, 106, 107, 108, 110, 111, 112, 113, 115, 116, 117, 118], data.Inputs.ToArray<long>());
        Assert.Equal([101L, 102, 103, 104, 106, 107, 108, 109, 111, 112, 113, 114, 116, 117, 118, 119], data.Targets.ToArray<long>());
        Assert.Null(data.ClassNames);
    }

    [Fact]
    public void Pack_ARangeOfRows()
    {
        using var data = LmBlocks.Pack(Enumerable.Range(0, 20).ToList(), blockSize: 3, "test", firstRow: 3, rows: 2);
        using var scope = new DisposeScope();
        Assert.Equal([12L, 13, 14, 16, 17, 18], data.Inputs.ToArray<long>());
    }

    [Fact]
    public void Pack_TooShortForOneRow_SaysSo()
    {
        var e = Assert.Throws<ArgumentException>(() => LmBlocks.Pack([1, 2, 3], blockSize: 3, "tiny.txt"));
        Assert.Equal("tiny.txt: 3 tokens are fewer than one row of block_size + 1 = 4; lower data.block_size or add text", e.Message);
    }
}
