namespace LowRankTrainer.Adapters;

/// <summary>
/// Which biases of the frozen base train alongside an adapter (PEFT's <c>bias</c> key: <c>none</c>,
/// <c>all</c>, <c>&lt;prefix&gt;_only</c> such as <c>lora_only</c>). Trained biases are saved with the adapter.
/// </summary>
public enum AdapterBias
{
    /// <summary>Every bias stays frozen (PEFT's default).</summary>
    None,

    /// <summary>Every bias of the model trains (<c>bias: all</c>).</summary>
    All,

    /// <summary>Only the biases of the adapted layers train (<c>bias: lora_only</c>, <c>randlora_only</c>, …).</summary>
    AdapterOnly,
}
