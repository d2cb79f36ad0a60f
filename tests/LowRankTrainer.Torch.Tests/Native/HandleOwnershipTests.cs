using LowRankTrainer.Torch;

namespace LowRankTrainer.Torch.Tests.Native;

/// <summary>
/// A handle owns exactly one reference on its TensorImpl and ops borrow their inputs without
/// changing that count: an op that leaked a reference would pin memory forever, one that stole it
/// would free a tensor still in use. Checked through libtorch's own use_count.
/// </summary>
public class HandleOwnershipTests
{
    public static TheoryData<string, Func<Tensor, Tensor, Tensor>> Ops => new()
    {
        { "a + b", (a, b) => a + b },
        { "MatMul", (a, b) => a.MatMul(b) },
        { "Cat", (a, b) => Tensor.Cat([a, b]) },
        { "Stack", (a, b) => Tensor.Stack([a, b], 1) },
        { "Einsum", (a, b) => Tensor.Einsum("ij,jk->ik", a, b) },
        { "Where", (a, b) => Tensor.Where(a > 0, a, b) },
        { "Linear with bias", (a, b) => Tensor.Linear(a, b, b[0]) },
        { "index by int64 tensor", (a, b) => a[Tensor.From(0L, 1L)] },
        { "Clone", (a, _) => a.Clone() },
        { "Detach", (a, _) => a.Detach() },
        { "Contiguous of contiguous (returns self)", (a, _) => a.Contiguous() },
        { "Split piece", (a, _) => a.Split(1)[0] },
    };

    [Theory]
    [MemberData(nameof(Ops))]
    public void Op_LeavesInputReferenceCountsUnchanged(string name, Func<Tensor, Tensor, Tensor> op)
    {
        ArgumentNullException.ThrowIfNull(op);
        using var a = Tensor.From([1f, -2f, 3f, 4f], [2, 2]);
        using var b = Tensor.From([5f, 6f, -7f, 8f], [2, 2]);
        Assert.Equal(1, a.UseCount);
        using (new DisposeScope())
        {
            _ = op(a, b);
        }
        Assert.True(a.UseCount == 1 && b.UseCount == 1, $"{name}: use counts {a.UseCount}, {b.UseCount} after the op");
    }

    [Fact]
    public void Alias_TakesAReferenceOfItsOwn_AndDisposeGivesItBack()
    {
        using var a = Tensor.Ones(3);
        var alias = a.Alias();
        Assert.Equal(2, a.UseCount);
        alias.Dispose();
        Assert.Equal(1, a.UseCount);
    }

    [Fact]
    public void IndexPutAndInPlaceOps_DoNotChangeTheReferenceCount()
    {
        using var a = Tensor.Zeros(4);
        using var mask = Tensor.From(true, false, true, false);
        using var values = Tensor.From(1f, 2f);
        a[mask] = values;
        a.Add_(values.Sum()).MaskedFill_(mask, 0).Clamp_(0, 1);
        Assert.Equal(1, a.UseCount);
        Assert.Equal(new[] { 0f, 1f, 0f, 1f }, a.ToArray<float>());
    }

    [Fact]
    public void GradAccessor_ReturnsAnOwnedHandle_OnTheSameGradient()
    {
        using var x = Tensor.Ones(2).RequiresGrad_();
        using (new DisposeScope()) (x * 3).Sum().Backward();
        using (var g1 = x.Grad!)
        using (var g2 = x.Grad!)
        {
            Assert.Equal(new[] { 3f, 3f }, g1.ToArray<float>());
            Assert.True(g1.UseCount >= 3); // the leaf's .grad slot plus two handles
        }
        using var g3 = x.Grad!;
        Assert.Equal(2, g3.UseCount);
    }
}
