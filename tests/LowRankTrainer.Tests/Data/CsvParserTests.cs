using LowRankTrainer.Data;

namespace LowRankTrainer.Tests.Data;

public class CsvParserTests
{
    private static string[][] Fields(string text, char delimiter = ',') =>
        CsvParser.Parse(text, "t.csv", delimiter).Select(r => r.Fields.ToArray()).ToArray();

    [Fact]
    public void Parse_QuotedFields_HoldDelimitersQuotesAndLineBreaks()
    {
        var text = "a,b,c\r\n\"x,y\",\"say \"\"hi\"\"\",\"two\r\nlines\"\r\n1,,\"\"\r\n";
        var records = CsvParser.Parse(text, "t.csv");

        Assert.Equal([["a", "b", "c"], ["x,y", "say \"hi\"", "two\r\nlines"], ["1", "", ""]], records.Select(r => r.Fields.ToArray()));
        Assert.Equal([1L, 2, 4], records.Select(r => r.Line));
    }

    [Theory]
    [InlineData("a,b\nc,d", "LF, no final newline")]
    [InlineData("a,b\r\nc,d\r\n", "CRLF")]
    [InlineData("a,b\rc,d\r", "old Mac CR")]
    [InlineData("\uFEFFa,b\nc,d\n", "byte-order mark")]
    [InlineData("a,b\n\n\nc,d\n\n", "blank lines are skipped")]
    public void Parse_LineEndings_AllSplitRecords(string text, string scenario)
    {
        Assert.True(new[] { new[] { "a", "b" }, ["c", "d"] }.SequenceEqual(Fields(text), new SeqEq()), scenario);
    }

    [Fact]
    public void Parse_TrailingDelimiter_MakesAnEmptyLastField()
    {
        Assert.Equal([["a", "b", ""], ["", "", ""]], Fields("a,b,\n,,"));
    }

    [Fact]
    public void Parse_SpacesAreKept_AndTabDelimiterWorks()
    {
        Assert.Equal([[" a ", "b,c"]], Fields(" a \tb,c", '\t'));
    }

    [Theory]
    [InlineData("a,b\n1,\"open\n2,3\n", 2, "unterminated quoted field (the quote opened on line 2 is never closed)")]
    [InlineData("a,b\n1,\"x\"y\n", 2, "field 2: unexpected 'y' after a closing quote")]
    [InlineData("a,b\n1,x\"y\"\n", 2, "field 2: a quote inside an unquoted field")]
    [InlineData("a,b\n\"multi\nline\"x,1\n", 3, "field 1: unexpected 'x' after a closing quote")]
    public void Parse_Malformed_ThrowsWithFileAndLine(string text, long line, string problem)
    {
        var e = Assert.Throws<DataFormatException>(() => CsvParser.Parse(text, "t.csv"));
        Assert.Equal("t.csv", e.FilePath);
        Assert.Equal(line, e.Line);
        Assert.StartsWith($"t.csv({line}): {problem}", e.Message, StringComparison.Ordinal);
    }

    private sealed class SeqEq : IEqualityComparer<string[]>
    {
        public bool Equals(string[]? x, string[]? y) => x!.SequenceEqual(y!);

        public int GetHashCode(string[] obj) => obj.Length;
    }
}
