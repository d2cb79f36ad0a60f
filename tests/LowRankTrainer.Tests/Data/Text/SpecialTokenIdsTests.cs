using LowRankTrainer.Data.Text;
using LowRankTrainer.Tests.Tokenizers;

namespace LowRankTrainer.Tests.Data.Text;

public class SpecialTokenIdsTests
{
    [Fact]
    public void Pad_ConfiguredIdWins_ElseTheTokenizers()
    {
        Assert.Equal(7, SpecialTokenIds.Pad(new WordTokenizer(padTokenId: 0), 7));
        Assert.Equal(0, SpecialTokenIds.Pad(new WordTokenizer(padTokenId: 0), null));
    }

    [Fact]
    public void Pad_NoneAnywhere_TellsToSetDataPadTokenId()
    {
        var e = Assert.Throws<ArgumentException>(() => SpecialTokenIds.Pad(new WordTokenizer(padTokenId: null), null));
        Assert.Equal("the tokenizer defines no pad token (GPT-2 has none); set data.pad_token_id, e.g. 50256 to pad with <|endoftext|>", e.Message);
    }

    [Fact]
    public void Pad_OutsideTheVocabulary_IsRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => SpecialTokenIds.Pad(new WordTokenizer(), 1000));
        Assert.Equal("data.pad_token_id 1000 is outside the tokenizer's vocabulary (ids 0–999)", e.Message);
    }

    [Fact]
    public void Eos_ConfiguredIdWins_ElseAVerbatimEndOfTextToken()
    {
        Assert.Equal(5, SpecialTokenIds.Eos(new WordTokenizer(), 5));
        Assert.Equal(WordTokenizer.Eos, SpecialTokenIds.Eos(new WordTokenizer(), null));
    }

    [Gpt2VocabFact]
    public void Eos_Gpt2_IsEndOfText50256_AndGpt2HasNoPad()
    {
        Assert.Equal(50256, SpecialTokenIds.Eos(Gpt2Files.Tokenizer, null));
        Assert.Throws<ArgumentException>(() => SpecialTokenIds.Pad(Gpt2Files.Tokenizer, null));
        Assert.Equal(50256, SpecialTokenIds.Pad(Gpt2Files.Tokenizer, 50256));
    }
}
