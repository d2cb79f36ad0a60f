using LowRankTrainer.Data;
using LowRankTrainer.Data.Text;

namespace LowRankTrainer.Tests.Data.Text;

public class BrownDetokenizerTests
{
    private static string Detok(string line) => BrownDetokenizer.Sentence(line.Split(' ', StringSplitOptions.RemoveEmptyEntries), "f", 1);

    [Fact]
    public void Sentence_StripsTagsAtTheLastSlash_AndGluesPunctuationAndDoubleQuotes()
    {
        // ca01, line 3 (the first sentence).
        Assert.Equal("The Fulton County Grand Jury said Friday an investigation of Atlanta's recent primary election produced \"no evidence\" that any irregularities took place.",
            Detok("The/at Fulton/np-tl County/nn-tl Grand/jj-tl Jury/nn-tl said/vbd Friday/nr an/at investigation/nn of/in Atlanta's/np$ recent/jj primary/nn election/nn produced/vbd ``/`` no/at evidence/nn ''/'' that/cs any/dti irregularities/nns took/vbd place/nn ./."));
    }

    [Fact]
    public void Sentence_SingleQuotesAlternate_OpeningFirst()
    {
        // ca02, line 67.
        Assert.Equal("\"We're getting more 'pro' letters than 'con' on horse race betting\", said Ratcliff.",
            Detok("``/`` We're/ppss+ber getting/vbg more/ap '/' pro/jj '/' letters/nns than/in '/' con/jj '/' on/in horse/nn race/nn betting/nn ''/'' ,/, said/vbd Ratcliff/np ./."));
    }

    [Fact]
    public void Sentence_BracketsColonsAndSlashesInWords()
    {
        Assert.Equal("Costs (about $5; 1/2 off): yes? no!", Detok("Costs/nns (/( about/rb $/$ 5/cd ;/. 1/2/cd off/rp )/) :/: yes/rb ?/. no/rb !/."));
    }

    [Fact]
    public void Sentence_TokenWithoutTag_NamesFileAndLine()
    {
        var e = Assert.Throws<DataFormatException>(() => BrownDetokenizer.Sentence(["The/at", "jury"], "ca99", 12));
        Assert.Equal("ca99(12): token 'jury' is not word/tag", e.Message);
    }
}
