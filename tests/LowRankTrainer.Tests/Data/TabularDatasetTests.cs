using LowRankTrainer.Data;
using LowRankTrainer.Torch;

namespace LowRankTrainer.Tests.Data;

public class TabularDatasetTests
{
    [Fact]
    public void LoadCsv_Fixture_ReadsHeaderQuotedFieldsAndLines()
    {
        var path = TestPaths.Fixture("flowers.csv");
        var table = TabularTable.Load(path);

        Assert.Equal(["length", "width", "species", "note"], table.Columns);
        Assert.Equal(6, table.RowCount);
        Assert.Equal<IEnumerable<string?>>(["plain", "with, comma", "say \"hi\"", "two\nlines", "", "last"], table.Column("note"));
        Assert.Equal([2L, 3, 4, 5, 7, 8], Enumerable.Range(0, 6).Select(table.LineOf));
        Assert.True(table.IsNumeric("width"));
        Assert.False(table.IsNumeric("species"));
    }

    [Fact]
    public void LoadCsv_Classification_FeaturesFloat32AndSortedClassIndices()
    {
        using var data = TabularDataset.Load(TestPaths.Fixture("flowers.csv"), "species", ["length", "width"]);
        using var scope = new DisposeScope();

        Assert.Equal([6L, 2], data.Inputs.Shape);
        Assert.Equal(DType.Float32, data.Inputs.DType);
        Assert.Equal([5.1f, 3.5f, 4.9f, 3.0f, 7.0f, 3.2f, 6.4f, 3.2f, 6.3f, 3.3f, 5.8f, 2.7f], data.Inputs.ToArray<float>());
        Assert.Equal(DType.Int64, data.Targets.DType);
        Assert.Equal([0L, 0, 1, 1, 2, 2], data.Targets.ToArray<long>());
        Assert.Equal(["setosa", "versicolor", "virginica"], data.ClassNames);
    }

    [Fact]
    public void LoadJsonl_Regression_FeaturesInGivenOrderAndFloatTargets()
    {
        using var data = TabularDataset.Load(TestPaths.Fixture("houses.jsonl"), "price", ["rooms", "area"], TabularTask.Regression);
        using var scope = new DisposeScope();

        Assert.Equal([4L, 2], data.Inputs.Shape);
        Assert.Equal([2f, 50.5f, 3f, 72f, 1f, 30f, 4f, 100f], data.Inputs.ToArray<float>());
        Assert.Equal(DType.Float32, data.Targets.DType);
        Assert.Equal([120000f, 185000f, 90000.5f, 250000f], data.Targets.ToArray<float>());
        Assert.Null(data.ClassNames);
    }

    [Fact]
    public void LoadJsonl_StringLabelsAndDefaultFeatures()
    {
        var table = TabularTable.Load(TestPaths.Fixture("houses.jsonl"));
        Assert.Equal(["area", "rooms", "price", "city"], table.Columns);
        Assert.Equal([1L, 2, 4, 5], Enumerable.Range(0, 4).Select(table.LineOf));

        using var data = TabularDataset.FromTable(table, "city");
        using var scope = new DisposeScope();
        Assert.Equal([4L, 3], data.Inputs.Shape);
        Assert.Equal(["Lyon", "Nice", "Paris"], data.ClassNames);
        Assert.Equal([0L, 2, 1, 0], data.Targets.ToArray<long>());
    }

    [Fact]
    public void Classification_NumericLabels_SortNumerically()
    {
        var table = TabularTable.ParseCsv("x,y\n1,10\n2,2\n3,0\n4,2\n", "n.csv");
        using var data = TabularDataset.FromTable(table, "y");
        Assert.Equal(["0", "2", "10"], data.ClassNames);
        Assert.Equal([2L, 1, 0, 1], data.Targets.ToArray<long>());
    }

    [Fact]
    public void NonNumericFeature_NamesFileLineAndColumn()
    {
        var path = TestPaths.Fixture("bad_number.csv");
        var e = Assert.Throws<DataFormatException>(() => TabularDataset.Load(path, "species"));

        Assert.Equal($"{path}(3): column 'width': 'abc' is not a number", e.Message);
        Assert.Equal(3, e.Line);
        Assert.Equal("width", e.Column);
    }

    [Theory]
    [InlineData("x,y\n1,a\n,b\n", "t.csv(3): column 'x': missing value: a number is needed")]
    [InlineData("x,y\n1,a\nNaN,b\n", "t.csv(3): column 'x': 'NaN' is not a finite number")]
    [InlineData("x,y\n1,a\n1e999,b\n", "t.csv(3): column 'x': '1e999' is not a finite number")]
    [InlineData("x,y\n1,a\n\"1,5\",b\n", "t.csv(3): column 'x': '1,5' is not a number")]
    [InlineData("x,y\n1,a\n2,\n", "t.csv(3): column 'y': missing label")]
    [InlineData("x,y\n", "t.csv: the table has a header but no rows")]
    public void BadValues_AreReportedWithTheirLocation(string csv, string message)
    {
        var table = TabularTable.ParseCsv(csv, "t.csv");
        var e = Assert.Throws<DataFormatException>(() => TabularDataset.FromTable(table, "y"));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void NumbersParseWithTheInvariantCulture_SpacesAllowed()
    {
        var table = TabularTable.ParseCsv("x,y\n 1.5e-3 ,a\n-2,b\n", "t.csv");
        using var data = TabularDataset.FromTable(table, "y");
        Assert.Equal([0.0015f, -2f], data.Inputs.ToArray<float>());
    }

    [Fact]
    public void MissingColumn_ListsTheColumnsThereAre()
    {
        var path = TestPaths.Fixture("flowers.csv");
        var e = Assert.Throws<DataFormatException>(() => TabularDataset.Load(path, "Species"));
        Assert.Equal($"{path}: column 'Species': no such column (the columns are: length, width, species, note); did you mean 'species'?", e.Message);

        e = Assert.Throws<DataFormatException>(() => TabularDataset.Load(path, "species", ["length", "height"]));
        Assert.Equal("height", e.Column);
    }

    [Fact]
    public void RaggedCsv_NamesTheLine()
    {
        var path = TestPaths.Fixture("ragged.csv");
        var e = Assert.Throws<DataFormatException>(() => TabularTable.Load(path));
        Assert.Equal($"{path}(3): the row has 4 fields, the header has 3", e.Message);
    }

    [Theory]
    [InlineData("x,x\n1,2\n", "t.csv(1): column 'x': duplicate column name in the header")]
    [InlineData("\n\nx,x\n1,2\n", "t.csv(3): column 'x': duplicate column name in the header")]
    [InlineData("x,\n1,2\n", "t.csv(1): header field 2 is empty (every column needs a name)")]
    [InlineData("", "t.csv: no header row: the file is empty")]
    public void BadHeader_IsReported(string csv, string message)
    {
        var e = Assert.Throws<DataFormatException>(() => TabularTable.ParseCsv(csv, "t.csv"));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void FeatureListErrors_AreArgumentErrors()
    {
        var table = TabularTable.ParseCsv("x,y\n1,a\n", "t.csv");
        Assert.Throws<ArgumentException>(() => TabularDataset.FromTable(table, "y", ["x", "y"]));
        Assert.Throws<ArgumentException>(() => TabularDataset.FromTable(table, "y", ["x", "x"]));
        Assert.Throws<ArgumentException>(() => TabularDataset.FromTable(table, "y", []));
    }

    [Fact]
    public void UnknownExtension_IsRejected()
    {
        using var tmp = new TestPaths.TempDir();
        var path = tmp.File("t.xlsx");
        File.WriteAllText(path, "x");
        var e = Assert.Throws<DataFormatException>(() => TabularTable.Load(path));
        Assert.Contains("unknown table format '.xlsx'", e.Message, StringComparison.Ordinal);
    }
}
