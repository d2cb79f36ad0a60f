using LowRankTrainer.Data;

namespace LowRankTrainer.Tests.Data;

public class JsonlParserTests
{
    [Fact]
    public void Parse_ScalarsBecomeCells_NumbersKeepTheirText()
    {
        var table = JsonlParser.Parse("{\"a\": 1e-3, \"b\": \"x\", \"c\": true, \"d\": null}\n{\"d\": 2, \"c\": false, \"b\": \"\", \"a\": -4}\n", "t.jsonl");

        Assert.Equal(["a", "b", "c", "d"], table.Columns);
        Assert.Equal<IEnumerable<string?>>(["1e-3", "-4"], table.Column("a"));
        Assert.Equal<IEnumerable<string?>>(["x", ""], table.Column("b"));
        Assert.Equal<IEnumerable<string?>>(["true", "false"], table.Column("c"));
        Assert.Equal<IEnumerable<string?>>([null, "2"], table.Column("d"));
    }

    [Fact]
    public void MissingKey_NamesFileLineAndKey()
    {
        var path = TestPaths.Fixture("missing_key.jsonl");
        var e = Assert.Throws<DataFormatException>(() => TabularTable.Load(path));
        Assert.Equal($"{path}(2): column 'price': missing key (every line needs the keys of the first line)", e.Message);
    }

    [Theory]
    [InlineData("{\"a\": 1}\n{\"a\": 2,}\n", "t.jsonl(2): malformed JSON: ")]
    [InlineData("{\"a\": 1}\n[1]\n", "t.jsonl(2): expected a JSON object per line, found array")]
    [InlineData("{\"a\": 1}\n{\"a\": 2, \"b\": 3}\n", "t.jsonl(2): column 'b': unexpected key (the columns, from the first line, are: a)")]
    [InlineData("{\"a\": 1}\n{\"a\": 2, \"a\": 3}\n", "t.jsonl(2): column 'a': duplicate key")]
    [InlineData("{\"a\": 1, \"a\": 2}\n", "t.jsonl(1): column 'a': duplicate key")]
    [InlineData("{\"a\": 1}\n\n{\"a\": [1]}\n", "t.jsonl(3): column 'a': expected a number, string, boolean or null, found array")]
    [InlineData("\n  \n", "t.jsonl: no rows: the file holds no JSON object")]
    // Fuzz seeds 39 and 211 (TextTableFuzzTests.Fuzz_TextJsonl): a lone surrogate escape threw InvalidOperationException.
    [InlineData("{\"a\": 1}\n{\"a\": \"x\\ud800\"}\n", "t.jsonl(2): malformed JSON string: ")]
    [InlineData("{\"\\udc00\": 1}\n", "t.jsonl(1): malformed JSON string: ")]
    public void Malformed_IsReportedWithItsLine(string text, string message)
    {
        var e = Assert.Throws<DataFormatException>(() => JsonlParser.Parse(text, "t.jsonl"));
        Assert.StartsWith(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NullFeature_IsAMissingValue()
    {
        var table = JsonlParser.Parse("{\"x\": null, \"y\": \"a\"}\n", "t.jsonl");
        var e = Assert.Throws<DataFormatException>(() => TabularDataset.FromTable(table, "y"));
        Assert.Equal("t.jsonl(1): column 'x': missing value: a number is needed", e.Message);
    }
}
