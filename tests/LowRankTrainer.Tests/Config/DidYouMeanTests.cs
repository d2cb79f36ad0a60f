using LowRankTrainer.Config;

namespace LowRankTrainer.Tests.Config;

public sealed class DidYouMeanTests
{
    [Theory]
    [InlineData("lora_alhpa", "lora_alpha")]        // transposition
    [InlineData("learning_rat", "learning_rate")]   // deletion
    [InlineData("Seed", "seed")]                    // case
    [InlineData("lr", "learning_rate")]             // initials
    [InlineData("train_batch_size", "per_device_train_batch_size")] // word run
    [InlineData("zzzzzz", null)]
    public void Suggest_FindsTheIntendedKey(string input, string? expected)
    {
        string[] keys = ["lora_alpha", "learning_rate", "seed", "per_device_train_batch_size", "per_device_eval_batch_size", "logging_steps"];
        Assert.Equal(expected, DidYouMean.Suggest(input, keys));
    }

    [Fact]
    public void Distance_CountsATranspositionAsOneEdit() => Assert.Equal(1, DidYouMean.Distance("ab", "ba"));
}
