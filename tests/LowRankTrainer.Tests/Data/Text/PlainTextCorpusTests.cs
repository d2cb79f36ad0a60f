using LowRankTrainer.Data.Text;

namespace LowRankTrainer.Tests.Data.Text;

public class PlainTextCorpusTests
{
    [Fact]
    public void Read_Folder_OneDocumentPerTxtFile_RecursiveOrdinalOrder_CrLfNormalised()
    {
        using var dir = new TestPaths.TempDir();
        Directory.CreateDirectory(dir.File("sub"));
        File.WriteAllText(dir.File("b.txt"), "bee\r\n");
        File.WriteAllText(dir.File("a.txt"), "ay");
        File.WriteAllText(dir.File(Path.Combine("sub", "c.txt")), "sea");
        File.WriteAllText(dir.File("notes.md"), "skipped");

        var docs = PlainTextCorpus.Read(dir.Path);

        Assert.Equal([new TextDocument("a.txt", "ay"), new TextDocument("b.txt", "bee\n"), new TextDocument("sub/c.txt", "sea")], docs);
    }

    [Fact]
    public void Read_File_IsOneDocument_MissingOrEmpty_IsAnError()
    {
        using var dir = new TestPaths.TempDir();
        File.WriteAllText(dir.File("one.txt"), "text");
        Assert.Equal([new TextDocument("one.txt", "text")], PlainTextCorpus.Read(dir.File("one.txt")));
        var empty = Directory.CreateDirectory(dir.File("empty")).FullName;
        Assert.Contains("the folder holds no .txt file", Assert.Throws<FileNotFoundException>(() => PlainTextCorpus.Read(empty)).Message, StringComparison.Ordinal);
        Assert.Contains("no such file or folder", Assert.Throws<FileNotFoundException>(() => PlainTextCorpus.Read(dir.File("nothing"))).Message, StringComparison.Ordinal);
    }
}
