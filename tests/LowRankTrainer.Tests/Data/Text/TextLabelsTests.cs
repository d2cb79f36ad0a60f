using LowRankTrainer.Data;
using LowRankTrainer.Data.Text;

namespace LowRankTrainer.Tests.Data.Text;

public class TextLabelsTests
{
    private static LabeledText[] Rows(params string[] labels) => [.. labels.Select((l, i) => new LabeledText("t", l, "f.jsonl", i + 1))];

    [Fact]
    public void StringLabels_AreSortedOrdinallyAndNumbered()
    {
        var rows = Rows("pos", "neg", "Neutral", "pos");
        var labels = TextLabels.Build(rows, [], "label");

        Assert.Equal(["Neutral", "neg", "pos"], labels.ClassNames);
        Assert.Equal([2L, 1, 0, 2], rows.Select(labels.IndexOf));
    }

    [Fact]
    public void IntegerLabels_AreUsedAsTheyAre()
    {
        var rows = Rows("2", "0", "2");
        var labels = TextLabels.Build(rows, [], "label");

        Assert.Equal(["0", "1", "2"], labels.ClassNames);
        Assert.Equal([2L, 0, 2], rows.Select(labels.IndexOf));
    }

    [Fact]
    public void MixedLabels_AreAllNames()
    {
        var rows = Rows("10", "9", "x");
        var labels = TextLabels.Build(rows, [], "label");
        Assert.Equal(["10", "9", "x"], labels.ClassNames);
    }

    [Fact]
    public void LabelNames_MapNamesToTheirIndex_AndKeepIntegers()
    {
        var rows = Rows("spam", "ham", "1", "0");
        var labels = TextLabels.Build(rows, ["ham", "spam"], "label");

        Assert.Equal(["ham", "spam"], labels.ClassNames);
        Assert.Equal([1L, 0, 1, 0], rows.Select(labels.IndexOf));
    }

    [Fact]
    public void LabelNames_UnknownName_NamesFileLineAndField()
    {
        var e = Assert.Throws<DataFormatException>(() => TextLabels.Build(Rows("ham", "eggs"), ["ham", "spam"], "category"));
        Assert.Equal("f.jsonl(2): column 'category': label 'eggs' is not one of data.label_names (ham, spam)", e.Message);
    }

    [Fact]
    public void LabelNames_IntegerOutOfRange_NamesFileLineAndField()
    {
        var e = Assert.Throws<DataFormatException>(() => TextLabels.Build(Rows("1", "2"), ["ham", "spam"], "label"));
        Assert.Equal("f.jsonl(2): column 'label': label 2 is not a class index of data.label_names (0–1: ham, spam)", e.Message);
    }

    [Fact]
    public void IntegerLabels_ImplyingMoreThanTheClassLimit_NameFileLineAndField()
    {
        // A label of 999999999 (one of the fuzzers' wrong values) made Build allocate a billion class names.
        var e = Assert.Throws<DataFormatException>(() => TextLabels.Build(Rows("0", "999999999", "1"), [], "label"));
        Assert.Equal("f.jsonl(2): column 'label': label 999999999 is an integer class index, which would make 1000000000 classes (at most 100000); name the classes in data.label_names or use string labels", e.Message);
        Assert.Equal(100_000, TextLabels.Build(Rows("0", "99999"), [], "label").ClassNames.Count);
    }
}
