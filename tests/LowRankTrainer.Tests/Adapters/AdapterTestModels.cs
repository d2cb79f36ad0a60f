using LowRankTrainer.Models;
using LowRankTrainer.Torch;
using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Tests.Adapters;

/// <summary>Toy base models for the adapter matrix (PEFT's test_custom_models models), each built from a fixed seed.</summary>
internal static class AdapterTestModels
{
    /// <summary>Mlp 12-16-16-5: Linears layers.0 (12→16), layers.2 (16→16), head layers.4 (16→5).</summary>
    public static Module<Tensor, Tensor> Mlp()
    {
        using var g = new Generator(7);
        return new Mlp(12, [16, 16], 5, 0, g);
    }

    /// <summary>
    /// Two residual blocks with attention-like names: blocks.{0,1}.q_proj and .v_proj (8→8), then fc1 (8→12)
    /// and the head classifier (12→3). Children are read from the registry on every forward, so wrappers apply.
    /// </summary>
    public static Module<Tensor, Tensor> Toy()
    {
        using var g = new Generator(9);
        return new ToyModel(g);
    }

    /// <summary>A batch for the models: (4, 12) for the Mlp, (4, 8) for the toy.</summary>
    public static Tensor Input(Module model, ulong seed = 3)
    {
        using var g = new Generator(seed);
        return Tensor.Randn([4, model is Mlp ? 12 : 8], g);
    }

    private sealed class Block : Module<Tensor, Tensor>
    {
        public Block(Generator g)
        {
            RegisterModule("q_proj", new Linear(8, 8, generator: g));
            RegisterModule("v_proj", new Linear(8, 8, generator: g));
        }

        private Module<Tensor, Tensor> Child(string name) => (Module<Tensor, Tensor>)GetSubmodule(name);

        public override Tensor Forward(Tensor input) => input + Child("v_proj").Forward(Child("q_proj").Forward(input).Relu());
    }

    private sealed class ToyModel : Module<Tensor, Tensor>, IClassifierModel
    {
        public ToyModel(Generator g)
        {
            RegisterModule("blocks", new Sequential(new Block(g), new Block(g)));
            RegisterModule("fc1", new Linear(8, 12, generator: g));
            RegisterModule("classifier", new Linear(12, 3, generator: g));
        }

        public string HeadName => "classifier";

        private Module<Tensor, Tensor> Child(string name) => (Module<Tensor, Tensor>)GetSubmodule(name);

        public override Tensor Forward(Tensor input) =>
            Child("classifier").Forward(Child("fc1").Forward(Child("blocks").Forward(input)).Relu());
    }
}
