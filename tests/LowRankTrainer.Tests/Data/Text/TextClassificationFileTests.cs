using LowRankTrainer.Data;
using LowRankTrainer.Data.Text;

namespace LowRankTrainer.Tests.Data.Text;

public class TextClassificationFileTests
{
    [Fact]
    public void Jsonl_ReadsTextAndLabel_WithTheirLines_IgnoringOtherKeys()
    {
        using var dir = new TestPaths.TempDir();
        var path = dir.File("train.jsonl");
        File.WriteAllText(path, "{\"text\": \"good film\", \"label\": \"pos\", \"id\": 7}\n\n{\"id\": 8, \"label\": \"neg\", \"text\": \"bad, \\\"awful\\\"\"}\n");

        var rows = TextClassificationFile.Read(path, TextFileFormat.Jsonl);

        Assert.Equal([new LabeledText("good film", "pos", path, 1), new LabeledText("bad, \"awful\"", "neg", path, 3)], rows);
    }

    [Fact]
    public void Csv_ReadsQuotedMultilineTexts_AndNumericLabels_WithOtherFieldNames()
    {
        using var dir = new TestPaths.TempDir();
        var path = dir.File("train.csv");
        File.WriteAllText(path, "sentence,y\n\"one, two\",1\n\"three\nfour\",0\n");

        var rows = TextClassificationFile.Read(path, TextFileFormat.Csv, "sentence", "y");

        Assert.Equal([new LabeledText("one, two", "1", path, 2), new LabeledText("three\nfour", "0", path, 3)], rows);
    }

    [Fact]
    public void Tsv_IsTabSeparated()
    {
        using var dir = new TestPaths.TempDir();
        var path = dir.File("train.tsv");
        File.WriteAllText(path, "text\tlabel\na, b\tx\n");
        Assert.Equal("a, b", Assert.Single(TextClassificationFile.Read(path, TextFileFormat.Csv)).Text);
    }

    [Fact]
    public void MissingField_NamesFileLineAndField()
    {
        using var dir = new TestPaths.TempDir();
        var path = dir.File("train.jsonl");
        File.WriteAllText(path, "\n{\"sentence\": \"a\", \"label\": 1}\n");

        var e = Assert.Throws<DataFormatException>(() => TextClassificationFile.Read(path, TextFileFormat.Jsonl));

        Assert.Equal(path, e.FilePath);
        Assert.Equal(2, e.Line);
        Assert.Equal("text", e.Column);
        Assert.StartsWith($"{path}(2): column 'text': no such field (the fields are: sentence, label); set data.text_field", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FieldMissingOnALaterLine_NamesThatLine()
    {
        using var dir = new TestPaths.TempDir();
        var path = dir.File("train.jsonl");
        File.WriteAllText(path, "{\"text\": \"a\", \"label\": 1}\n{\"text\": \"b\"}\n");

        var e = Assert.Throws<DataFormatException>(() => TextClassificationFile.Read(path, TextFileFormat.Jsonl));

        Assert.Equal((2L, "label"), (e.Line!.Value, e.Column!));
    }

    [Theory]
    [InlineData("{\"text\": \"a\", \"label\": null}\n", "label", "missing label")]
    [InlineData("{\"text\": \"a\", \"label\": \" \"}\n", "label", "missing label")]
    [InlineData("{\"text\": null, \"label\": 1}\n", "text", "the text is null")]
    public void NullOrEmptyCells_NameFileLineAndField(string jsonl, string field, string problem)
    {
        using var dir = new TestPaths.TempDir();
        var path = dir.File("train.jsonl");
        File.WriteAllText(path, jsonl);

        var e = Assert.Throws<DataFormatException>(() => TextClassificationFile.Read(path, TextFileFormat.Jsonl));

        Assert.Equal($"{path}(1): column '{field}': {problem}", e.Message);
    }

    [Fact]
    public void MissingFile_IsFileNotFound()
    {
        Assert.Throws<FileNotFoundException>(() => TextClassificationFile.Read("/nonexistent/train.jsonl", TextFileFormat.Jsonl));
    }
}
