using LowRankTrainer.Experiments;

namespace LowRankTrainer.Tests.Experiments;

public sealed class ReportedValuesTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), "lrt-reported-" + Guid.NewGuid().ToString("N") + ".csv");

    public void Dispose() => File.Delete(_path);

    private static readonly RenderedTable Ours = new("d_int90", "t", 2, ["net", "layers", "d90"], [["FC", "200", "500 (target 0.8)"]],
        new Dictionary<(string, string), Stat> { [("FC / 200", "d90")] = new(500, 0, 1) });

    [Fact]
    public void Compare_PutsOurCellBesideEachReportedValue_BlankWhenWeHaveNoSuchRow()
    {
        File.WriteAllText(_path, "table,row,column,reported,source\nd_int90,FC / 200,d90,750,\"Table 1, MNIST\"\nd_int90,LeNet / x,d90,290,Table 1\n");
        var values = ReportedValues.Read(_path);
        Assert.Equal(2, values.Count);
        var md = ReportedValues.Compare(values, [Ours], _path, strict: true);
        Assert.Contains("| d_int90 | FC / 200 | d90 | 750 | 500 (target 0.8) | Table 1, MNIST |", md, StringComparison.Ordinal);
        Assert.Contains("| d_int90 | LeNet / x | d90 | 290 |  | Table 1 |", md, StringComparison.Ordinal);
    }

    [Fact]
    public void Compare_UnknownTableOrColumn_IsAnErrorNamingTheFile()
    {
        File.WriteAllText(_path, "table,row,column,reported,source\nd_int,FC / 200,d90,750,x\n");
        var e = Assert.Throws<InvalidDataException>(() => ReportedValues.Compare(ReportedValues.Read(_path), [Ours], _path, strict: true));
        Assert.Contains("table 'd_int' is not one of ours", e.Message, StringComparison.Ordinal);
        File.WriteAllText(_path, "table,row,column,reported,source\nd_int90,FC / 200,d95,750,x\n");
        e = Assert.Throws<InvalidDataException>(() => ReportedValues.Compare(ReportedValues.Read(_path), [Ours], _path, strict: true));
        Assert.Contains("has no column 'd95'", e.Message, StringComparison.Ordinal);
        Assert.Contains(_path, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_WrongHeaderOrFieldCount_NamesTheLine()
    {
        File.WriteAllText(_path, "table,row,value\n");
        Assert.Contains("(1): the header must be", Assert.Throws<InvalidDataException>(() => ReportedValues.Read(_path)).Message, StringComparison.Ordinal);
        File.WriteAllText(_path, "table,row,column,reported,source\na,b,c\n");
        Assert.Contains("(2): 3 fields", Assert.Throws<InvalidDataException>(() => ReportedValues.Read(_path)).Message, StringComparison.Ordinal);
    }
}
