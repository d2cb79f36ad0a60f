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

    /// <summary>
    /// A convolution with every Conv2d option away from its default, then the head: <c>conv</c> 4→6 channels, kernel
    /// (3, 2), stride (2, 1), padding (1, 0), dilation (1, 2), groups 2 (weight (6, 2, 3, 2), bias 6), on (4, 7, 6)
    /// images giving (6, 4, 4); ReLU, flatten; <c>head</c> Linear 96→3. 78 + 291 = 369 parameters.
    /// </summary>
    public static Module<Tensor, Tensor> ConvNet()
    {
        using var g = new Generator(11);
        return new ConvNetModel(g);
    }

    /// <summary>A batch for the models: (4, 12) for the Mlp, (4, 8) for the toy, (4, 4, 7, 6) for the conv net.</summary>
    public static Tensor Input(Module model, ulong seed = 3)
    {
        using var g = new Generator(seed);
        long[] shape = model switch
        {
            LowRankTrainer.Models.Mlp => [4, 12],
            ConvNetModel => [4, 4, 7, 6],
            _ => [4, 8],
        };
        return Tensor.Randn(shape, g);
    }

    private sealed class ConvNetModel : Module<Tensor, Tensor>
    {
        public ConvNetModel(Generator g)
        {
            RegisterModule("conv", new Conv2d(4, 6, (3, 2), (2, 1), (1, 0), (1, 2), groups: 2, generator: g));
            RegisterModule("head", new Linear(96, 3, generator: g));
        }

        private Module<Tensor, Tensor> Child(string name) => (Module<Tensor, Tensor>)GetSubmodule(name);

        public override Tensor Forward(Tensor input) => Child("head").Forward(Child("conv").Forward(input).Relu().Flatten(1));
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
