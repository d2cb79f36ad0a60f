using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;
using Buffer = LowRankTrainer.Torch.Nn.Buffer;

namespace LowRankTrainer.Adapters.LoraXs;

/// <summary>A child holding one frozen tensor as the persistent buffer <c>weight</c>, so its state-dict key reads <c>&lt;child&gt;.weight</c> as PEFT's frozen <c>lora_A</c>/<c>lora_B</c> Linears do, without being a parameter.</summary>
internal sealed class FrozenWeight : Module
{
    public FrozenWeight(Tensor value) => Slot = RegisterBuffer("weight", value);

    public Buffer Slot { get; }
}
