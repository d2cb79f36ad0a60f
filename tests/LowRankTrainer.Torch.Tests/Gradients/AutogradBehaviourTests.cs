using LowRankTrainer.Torch;
using TorchAutograd = LowRankTrainer.Torch.Autograd;

namespace LowRankTrainer.Torch.Tests.Gradients;

/// <summary>Autograd mechanics through the binding, checked against closed forms.</summary>
[Collection(AutogradSerial.Name)]
public sealed class AutogradBehaviourTests
{
    private static readonly double[] XValues = [1.0, 2.0, -0.5];

    /// <summary>Runs the body in a scope and asserts that every tensor it created was freed.</summary>
    private static void NoLeaks(Action body)
    {
        DisposeScope.CollectOrphans();
        var before = Tensor.LiveCount;
        using (new DisposeScope()) body();
        Assert.Equal(before, Tensor.LiveCount);
    }

    private static Tensor Leaf(params double[] values) => Tensor.From<double>(values).RequiresGrad_();

    private static double[] Values(Tensor? t)
    {
        Assert.NotNull(t);
        return t.ToArray<double>();
    }

    [Fact]
    public void Backward_Twice_WithRetainGraph_AccumulatesIntoGrad() => NoLeaks(() =>
    {
        var x = Leaf(XValues);
        var y = (x * x).Sum();
        y.Backward(retainGraph: true);
        Assert.Equal(XValues.Select(v => 2 * v), Values(x.Grad));
        y.Backward();
        Assert.Equal(XValues.Select(v => 4 * v), Values(x.Grad));

        // A second, different graph accumulates too: d(Σ 3x)/dx = 3.
        (x * 3.0).Sum().Backward();
        Assert.Equal(XValues.Select(v => 4 * v + 3), Values(x.Grad));
    });

    [Fact]
    public void Backward_Twice_WithoutRetainGraph_ThrowsTorchException_AndTheProcessGoesOn() => NoLeaks(() =>
    {
        var x = Leaf(XValues);
        var y = (x * x).Sum();
        y.Backward();
        var ex = Assert.Throws<TorchException>(() => y.Backward());
        Assert.Contains("second time", ex.Message, StringComparison.Ordinal);

        // Nothing was accumulated by the failed call, and autograd still works.
        Assert.Equal(XValues.Select(v => 2 * v), Values(x.Grad));
        var z = Leaf(1.0, 2.0);
        (z * z * z).Sum().Backward();
        Assert.Equal(new[] { 3.0, 12.0 }, Values(z.Grad));
    });

    [Fact]
    public void Backward_OnNonScalar_WithoutGradient_Throws() => NoLeaks(() =>
    {
        var x = Leaf(XValues);
        var y = x * 2.0;
        Assert.Throws<TorchException>(() => y.Backward());
        Assert.Null(x.Grad);
    });

    [Fact]
    public void Backward_WithExplicitGradient_ForNonScalarOutput_IsAVectorJacobianProduct() => NoLeaks(() =>
    {
        var x = Leaf(XValues);
        var y = x * x;                                         // dy_i/dx_i = 2x_i
        var v = Tensor.From(0.5, -1.0, 2.0);
        y.Backward(v);
        Assert.Equal(new[] { 2 * 1.0 * 0.5, 2 * 2.0 * -1.0, 2 * -0.5 * 2.0 }, Values(x.Grad));
    });

    [Fact]
    public void NoGrad_ResultsDoNotRequireGrad_AndTheModeIsRestoredOnDispose() => NoLeaks(() =>
    {
        var x = Leaf(XValues);
        Assert.True(TorchAutograd.IsGradEnabled);
        using (TorchAutograd.NoGrad())
        {
            Assert.False(TorchAutograd.IsGradEnabled);
            var y = x * 2.0;
            Assert.False(y.RequiresGrad);
            Assert.True(y.IsLeaf);
            using (TorchAutograd.EnableGrad())
            {
                Assert.True(TorchAutograd.IsGradEnabled);
                Assert.True((x * 2.0).RequiresGrad);
            }
            Assert.False(TorchAutograd.IsGradEnabled);
            using (TorchAutograd.NoGrad()) Assert.False(TorchAutograd.IsGradEnabled);
            Assert.False(TorchAutograd.IsGradEnabled);
        }
        Assert.True(TorchAutograd.IsGradEnabled);
        Assert.True((x * 2.0).RequiresGrad);
    });

    [Fact]
    public void Detach_CutsTheGraph_AndSharesStorage() => NoLeaks(() =>
    {
        var x = Leaf(XValues);
        var d = x.Detach();
        Assert.False(d.RequiresGrad);
        Assert.True(d.IsLeaf);

        // Only the attached path contributes: d(Σ (2·detach(x) + x))/dx = 1.
        (d * 2.0 + x).Sum().Backward();
        Assert.Equal(new[] { 1.0, 1.0, 1.0 }, Values(x.Grad));
        Assert.Null(d.Grad);

        // A graph built only from the detached tensor has nothing to differentiate.
        var only = (d * 2.0).Sum();
        Assert.False(only.RequiresGrad);
        Assert.Throws<TorchException>(() => only.Backward());

        // Same storage: an in-place change of the detached tensor shows through x.
        d.Add_(1.0);
        Assert.Equal(XValues.Select(v => v + 1), x.Detach().ToArray<double>());
    });

    [Fact]
    public void Detach_InPlace_TurnsAResultIntoALeaf() => NoLeaks(() =>
    {
        var x = Leaf(XValues);
        var y = x * 2.0;
        Assert.False(y.IsLeaf);
        y.Detach_();
        Assert.True(y.IsLeaf);
        Assert.False(y.RequiresGrad);
    });

    [Fact]
    public void ZeroGrad_SetToNone_ClearsGrad_OtherwiseZeroesInPlace() => NoLeaks(() =>
    {
        var a = Leaf(XValues);
        var b = Leaf(XValues);
        var untouched = Leaf(1.0);
        (a * a + b * 3.0).Sum().Backward();
        var bGrad = b.Grad!;

        TorchAutograd.ZeroGrad([a], setToNone: true);
        Assert.Null(a.Grad);

        TorchAutograd.ZeroGrad([b, untouched], setToNone: false);
        Assert.Equal(new[] { 0.0, 0.0, 0.0 }, Values(b.Grad));
        Assert.Equal(new[] { 0.0, 0.0, 0.0 }, bGrad.ToArray<double>());    // the same storage, zeroed in place
        Assert.Null(untouched.Grad);                                       // no grad yet: nothing to zero

        // The next backward writes fresh into a, accumulates onto the zeros of b.
        (a * a + b * 3.0).Sum().Backward();
        Assert.Equal(XValues.Select(v => 2 * v), Values(a.Grad));
        Assert.Equal(new[] { 3.0, 3.0, 3.0 }, Values(b.Grad));
    });

    [Fact]
    public void GradSetter_ReplacesTheGradient_AndNullClearsIt() => NoLeaks(() =>
    {
        var x = Leaf(XValues);
        x.Grad = Tensor.From(10.0, 20.0, 30.0);
        Assert.Equal(new[] { 10.0, 20.0, 30.0 }, Values(x.Grad));

        (x * 2.0).Sum().Backward();                                        // accumulates onto the set value
        Assert.Equal(new[] { 12.0, 22.0, 32.0 }, Values(x.Grad));

        x.Grad = null;
        Assert.Null(x.Grad);
    });

    [Fact]
    public void IsLeaf_FollowsPyTorchsDefinition() => NoLeaks(() =>
    {
        var plain = Tensor.From(1.0, 2.0);
        Assert.True(plain.IsLeaf);
        Assert.False(plain.RequiresGrad);
        Assert.True((plain * 2.0).IsLeaf);                                  // no grad required: a leaf by convention

        var x = Leaf(1.0, 2.0);
        Assert.True(x.IsLeaf);
        Assert.True(x.RequiresGrad);
        var y = x * 2.0;
        Assert.False(y.IsLeaf);
        Assert.True(y.RequiresGrad);
        Assert.True(x.Alias().IsLeaf);                                      // same autograd identity
        Assert.False(x.Clone().IsLeaf);
    });

    [Fact]
    public void RequiresGrad_OnAnIntegerTensor_Throws() => NoLeaks(() =>
    {
        var i = Tensor.From(1L, 2L);
        Assert.Throws<TorchException>(() => i.RequiresGrad = true);
        Assert.False(i.RequiresGrad);
    });

    [Fact]
    public void InPlace_OnALeafThatRequiresGrad_Throws() => NoLeaks(() =>
    {
        var x = Leaf(XValues);
        Assert.Throws<TorchException>(() => x.Add_(1.0));
        Assert.Equal(XValues, x.Detach().ToArray<double>());
    });

    [Fact]
    public void CreateGraph_GivesASecondDerivative() => NoLeaks(() =>
    {
        // y = Σ x³: dy/dx = 3x², d/dx Σ(3x²) = 6x.
        var x = Leaf(XValues);
        x.Pow(3.0).Sum().Backward(createGraph: true);
        var first = x.Grad!;
        Assert.True(first.RequiresGrad);                                    // the gradient is itself differentiable
        Assert.Equal(XValues.Select(v => 3 * v * v), first.ToArray<double>());

        TorchAutograd.ZeroGrad([x]);                                            // keep 3x² out of the second result
        first.Sum().Backward();
        Assert.Equal(XValues.Select(v => 6 * v), Values(x.Grad));
    });

    [Fact]
    public void CreateGraph_False_GivesAConstantGradient() => NoLeaks(() =>
    {
        var x = Leaf(XValues);
        x.Pow(3.0).Sum().Backward();
        var g = x.Grad!;
        Assert.False(g.RequiresGrad);
        Assert.Throws<TorchException>(() => g.Sum().Backward());
    });
}
