using LowRankTrainer.Torch.Nn;

namespace LowRankTrainer.Torch.Tests.Nn;

/// <summary>Registries, dotted names, state_dict / load_state_dict, modes, freezing and slots.</summary>
public class ModuleTests : NnTestBase
{
    private static Sequential Mlp(Generator? gen = null, DType dtype = DType.Float32) =>
        new(new Linear(4, 8, generator: gen, dtype: dtype), new ReLU(), new Linear(8, 3, generator: gen, dtype: dtype));

    /// <summary>A module with a nested child, a buffer that is persistent and one that is not.</summary>
    private sealed class Block : Module<Tensor, Tensor>
    {
        public Block()
        {
            using var suspended = DisposeScope.Suspend();
            Proj = RegisterModule("proj", new Linear(3, 3));
            Scale = RegisterParameter("scale", Tensor.Ones(3));
            RegisterBuffer("running", Tensor.Zeros(3));
            RegisterBuffer("cache", Tensor.Zeros(2), persistent: false);
            Norm = RegisterModule("norm", new LayerNorm(3));
        }

        public Linear Proj { get; }
        public Parameter Scale { get; }
        public LayerNorm Norm { get; }

        public override Tensor Forward(Tensor input) => Norm.Forward(Proj.Forward(input) * Scale.Value);
    }

    [Fact]
    public void StateDict_NestedSequential_HasPyTorchKeysInOrder()
    {
        using var mlp = Mlp();
        using var state = mlp.StateDict();
        Assert.Equal(["0.weight", "0.bias", "2.weight", "2.bias"], state.Keys);
        Assert.Equal([8L, 4L], state["0.weight"].Shape);
        Assert.False(state["0.weight"].RequiresGrad);  // detached, as PyTorch's state_dict()
    }

    [Fact]
    public void StateDict_OwnParametersThenBuffersThenChildren_NonPersistentBuffersLeftOut()
    {
        using var outer = new Sequential(new Block());
        using var state = outer.StateDict();
        Assert.Equal(["0.scale", "0.running", "0.proj.weight", "0.proj.bias", "0.norm.weight", "0.norm.bias"], state.Keys);
        Assert.Equal(["0.running", "0.cache"], outer.NamedBuffers().Select(b => b.Name));
        Assert.Equal(["", "0", "0.proj", "0.norm"], outer.NamedModules().Select(m => m.Name));
        Assert.Equal(["0.scale", "0.proj.weight", "0.proj.bias", "0.norm.weight", "0.norm.bias"], outer.NamedParameters().Select(p => p.Name));
    }

    [Fact]
    public void LoadStateDict_RoundTrip_CopiesValuesInPlace()
    {
        using var gen = new Generator(1);
        using var a = Mlp(gen);
        using var b = Mlp(gen);
        var weightBefore = b.GetParameter("0.weight").Value;
        using (var state = a.StateDict())
        {
            var result = b.LoadStateDict(state);
            Assert.Empty(result.MissingKeys);
            Assert.Empty(result.UnexpectedKeys);
        }
        Assert.Same(weightBefore, b.GetParameter("0.weight").Value);  // same tensor, new values
        Assert.True(weightBefore.RequiresGrad);
        foreach (var ((_, pa), (_, pb)) in a.NamedParameters().Zip(b.NamedParameters())) Assert.True(pa.Value.ValueEquals(pb.Value));
    }

    [Fact]
    public void LoadStateDict_Strict_ListsMissingUnexpectedAndMisShapedKeys_AndCopiesNothing()
    {
        using var scope = new DisposeScope();
        using var mlp = Mlp();
        var before = mlp.GetParameter("2.bias").Value.Clone();
        using var state = new StateDict();
        state.Add("0.weight", Tensor.Zeros(4, 8));          // transposed
        state.Add("2.bias", Tensor.Zeros(3));               // fine
        state.Add("1.weight", Tensor.Zeros(3));             // ReLU has none
        var e = Assert.Throws<LoadStateDictException>(() => mlp.LoadStateDict(state));
        Assert.Equal(["0.bias", "2.weight"], e.MissingKeys);
        Assert.Equal(["1.weight"], e.UnexpectedKeys);
        var mismatch = Assert.Single(e.MismatchedKeys);
        Assert.Equal("0.weight", mismatch.Key);
        Assert.Equal([8L, 4L], mismatch.Expected);
        Assert.Equal([4L, 8L], mismatch.Actual);
        Assert.Contains("missing keys (2): 0.bias, 2.weight", e.Message, StringComparison.Ordinal);
        Assert.Contains("unexpected keys (1): 1.weight", e.Message, StringComparison.Ordinal);
        Assert.Contains("0.weight: expected [8, 4], got [4, 8]", e.Message, StringComparison.Ordinal);
        Assert.True(mlp.GetParameter("2.bias").Value.ValueEquals(before));  // validated before copying
    }

    [Fact]
    public void LoadStateDict_NonStrict_IgnoresMissingAndUnexpected_AndReportsThem()
    {
        using var scope = new DisposeScope();
        using var mlp = Mlp();
        using var state = new StateDict();
        state.Add("2.bias", Tensor.Full([3], 7.0));
        state.Add("head.weight", Tensor.Zeros(2));
        var result = mlp.LoadStateDict(state, strict: false);
        Assert.Equal(["0.weight", "0.bias", "2.weight"], result.MissingKeys);
        Assert.Equal(["head.weight"], result.UnexpectedKeys);
        Assert.False(result.IsComplete);
        Assert.Equal([7f, 7f, 7f], mlp.GetParameter("2.bias").Value.ToArray<float>());
    }

    [Fact]
    public void LoadStateDict_NonStrict_StillRejectsAShapeMismatch()
    {
        using var scope = new DisposeScope();
        using var mlp = Mlp();
        using var state = new StateDict();
        state.Add("2.bias", Tensor.Zeros(4));
        var e = Assert.Throws<LoadStateDictException>(() => mlp.LoadStateDict(state, strict: false));
        Assert.Empty(e.MissingKeys);
        Assert.Equal("2.bias", Assert.Single(e.MismatchedKeys).Key);
    }

    [Fact]
    public void TrainEval_TogglesDropout_EvalIsIdentity()
    {
        using var scope = new DisposeScope();
        using var gen = new Generator(3);
        using var model = new Sequential(new Dropout(0.5, gen));
        var x = Tensor.Ones(1000);
        Assert.True(model.IsTraining);
        var trained = model.Forward(x);
        Assert.True(trained.Eq(0.0).Sum().ToInt64() > 300);
        model.Eval();
        Assert.False(model.IsTraining);
        Assert.False(model[0].IsTraining);
        Assert.True(model.Forward(x).ValueEquals(x));
        model.Train();
        Assert.True(model[0].IsTraining);
    }

    [Fact]
    public void FreezeUnfreeze_SetsRequiresGradOnEveryParameter()
    {
        using var model = new Sequential(new Block(), new Linear(3, 2));
        model.Freeze();
        Assert.All(model.NamedParameters(), p => Assert.False(p.Parameter.Value.RequiresGrad));
        Assert.Empty(model.TrainableParameters());
        model.Unfreeze();
        Assert.All(model.NamedParameters(), p => Assert.True(p.Parameter.Value.RequiresGrad));
        Assert.Equal(7, model.TrainableParameters().Count);
    }

    [Fact]
    public void FrozenLayer_GetsNoGradient_ButTheRestDoes()
    {
        using var scope = new DisposeScope();
        using var mlp = Mlp();
        ((Module)mlp[0]).Freeze();
        mlp.Forward(Tensor.Ones(2, 4)).Sum().Backward();
        Assert.Null(mlp.GetParameter("0.weight").Value.Grad);
        using var g = mlp.GetParameter("2.weight").Value.Grad;
        Assert.NotNull(g);
    }

    [Fact]
    public void ToDType_ConvertsFloatingTensors_KeepsSlotsAndRequiresGrad()
    {
        using var model = new Block();
        using (DisposeScope.Suspend()) model.RegisterBuffer("ids", Tensor.Arange(3));
        var slot = model.Proj.Weight;
        model.To(DType.Float64);
        Assert.Same(slot, model.Proj.Weight);
        Assert.Equal(DType.Float64, slot.Value.DType);
        Assert.True(slot.Value.RequiresGrad && slot.Value.IsLeaf);
        Assert.All(model.NamedParameters(), p => Assert.Equal(DType.Float64, p.Parameter.Value.DType));
        Assert.Equal(DType.Int64, model.NamedBuffers().Single(b => b.Name == "ids").Buffer.Value.DType);
        using var scope = new DisposeScope();
        Assert.Equal(DType.Float64, model.Forward(Tensor.Ones([2, 3], DType.Float64)).DType);
    }

    [Fact]
    public void WeightSlot_ReplacedByAComputedTensor_IsUsedAndGradientFlowsToItsSource()
    {
        using var scope = new DisposeScope();
        using var linear = new Linear(2, 2, bias: false);
        var source = Tensor.From<float>([1f, 2f, 3f, 4f], [2, 2]).RequiresGrad_();
        var computed = source * 2.0;  // stands for a re-materialised weight, borrowed from this scope
        linear.Weight.Set(computed);
        Assert.False(linear.Weight.OwnsValue);
        var y = linear.Forward(Tensor.Ones(1, 2));
        Assert.Equal([6f, 14f], y.ToArray<float>());
        y.Sum().Backward();
        using var g = source.Grad!;
        Assert.Equal([2f, 2f, 2f, 2f], g.ToArray<float>());
    }

    [Fact]
    public void SharedParameter_IsListedOnce_ButSavedUnderBothNames()
    {
        using var holder = new Sequential(new Linear(3, 3));
        using var b = new Linear(3, 3, bias: false);
        var a = (Linear)holder[0];
        holder.RegisterParameter("tied", a.Weight);
        // A module's own parameters come before its children's (PyTorch's order), so the shared
        // slot is listed once, under its first name.
        Assert.Equal(["tied", "0.bias"], holder.NamedParameters().Select(p => p.Name));
        using var state = holder.StateDict();
        Assert.Equal(["tied", "0.weight", "0.bias"], state.Keys);
        Assert.Throws<ArgumentException>(() => holder.RegisterParameter("tied", b.Weight));
        Assert.Throws<ArgumentException>(() => holder.RegisterParameter("a.b", b.Weight));
        using var scope = new DisposeScope();
        Assert.Throws<ArgumentException>(() => holder.RegisterParameter("computed", b.Weight.Value * 2.0));
    }

    [Fact]
    public void ReplaceModule_SequentialUsesTheNewChild()
    {
        using var scope = new DisposeScope();
        using var model = new Sequential(new ReLU());
        using var old = model.ReplaceModule("0", new Tanh());
        Assert.IsType<ReLU>(old);
        var y = model.Forward(Tensor.From<float>(-1f));
        Assert.Equal(MathF.Tanh(-1f), y.ToArray<float>()[0], 6);
    }

    [Fact]
    public void AssertClose_DetectsADifference()
    {
        var c = NnFixture.Case("layers.json", "relu");
        using var scope = new DisposeScope();
        var output = NnFixture.ToTensor(c.GetProperty("output"));
        NnFixture.AssertClose(c.GetProperty("output"), output, "same");
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => NnFixture.AssertClose(c.GetProperty("output"), output + 1e-9, "shifted"));
    }
}
