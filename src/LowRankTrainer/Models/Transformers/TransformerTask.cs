namespace LowRankTrainer.Models.Transformers;

/// <summary>What a transformer's head computes (HF's <c>…LMHeadModel</c>/<c>…ForCausalLM</c> vs <c>…ForSequenceClassification</c>).</summary>
public enum TransformerTask
{
    /// <summary>Next-token logits [N, T, vocab]; the loss is cross-entropy against targets shifted by one.</summary>
    CausalLm,

    /// <summary>One row of class logits [N, num_labels] per sequence.</summary>
    SequenceClassification,
}
