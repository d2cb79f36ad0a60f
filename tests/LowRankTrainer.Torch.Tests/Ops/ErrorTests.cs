namespace LowRankTrainer.Torch.Tests.Ops;

[Collection(SerialOps.Name)]
public class ErrorTests
{
    [Fact]
    public void Add_ShapeMismatch_TorchExceptionWithLibtorchWordingAndProcessSurvives()
    {
        using var a = Tensor.Zeros(3);
        using var b = Tensor.Zeros(4);
        var ex = Assert.Throws<TorchException>(() => a + b);
        Assert.Contains("The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 0", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception raised from", ex.Message, StringComparison.Ordinal);
        using var ok = a + 1;
        Assert.Equal(new[] { 1f, 1f, 1f }, ok.ToArray<float>());
    }

    [Fact]
    public void Mm_IncompatibleShapes_TorchExceptionNamingShapes()
    {
        using var a = Tensor.Zeros(2, 3);
        var ex = Assert.Throws<TorchException>(() => a.Mm(a));
        Assert.Contains("cannot be multiplied (2x3 and 2x3)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Inv_Int64Tensor_TorchExceptionAboutFloatingPoint()
    {
        using var a = Tensor.Eye(2, dtype: DType.Int64);
        var ex = Assert.Throws<TorchException>(() => Linalg.Inv(a));
        Assert.Contains("floating point", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToArray_WrongElementType_InvalidOperationNamingDtypes()
    {
        using var d = Tensor.Zeros([2], DType.Float64);
        var ex = Assert.Throws<InvalidOperationException>(() => d.ToArray<float>());
        Assert.Contains("float64", ex.Message, StringComparison.Ordinal);
        Assert.Contains("float32", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UseAfterDispose_AnyAccess_ObjectDisposedException()
    {
        using var other = Tensor.Ones(2);
        var t = Tensor.Ones(2);
        t.Dispose();
        Assert.True(t.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => t.ToArray<float>());
        Assert.Throws<ObjectDisposedException>(() => t + other);
        Assert.Throws<ObjectDisposedException>(() => other + t);
        Assert.Throws<ObjectDisposedException>(() => t.Sum());
        Assert.Throws<ObjectDisposedException>(() => t.Add_(1));
    }

    [Fact]
    public void Dispose_Twice_NoOpAndHandleCountedOnce()
    {
        // Inside a scope, creating a tensor does not also free handles queued by finalizers.
        using var scope = new DisposeScope();
        DisposeScope.CollectOrphans(); // tensors other tests dropped must not move the count
        var before = Tensor.LiveCount;
        var t = Tensor.Zeros(2);
        Assert.Equal(before + 1, Tensor.LiveCount);
        t.Dispose();
        t.Dispose();
        Assert.Equal(before, Tensor.LiveCount);
    }

    [Fact]
    public void Select_IndexOutOfRange_TorchExceptionNamingIndex()
    {
        using var t = Tensor.Zeros(3);
        var ex = Assert.Throws<TorchException>(() => t.Select(0, 5));
        Assert.Contains("index 5 out of range", ex.Message, StringComparison.Ordinal);
        Assert.Throws<TorchException>(() => t[-4]);
    }

    [Fact]
    public void IndexSelect_IndexOutOfRange_TorchException()
    {
        using var t = Tensor.Zeros(3);
        using var idx = Tensor.From(7L);
        var ex = Assert.Throws<TorchException>(() => t.IndexSelect(0, idx));
        Assert.Contains("index out of range", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Narrow_PastEnd_TorchExceptionNamingStartAndLength()
    {
        using var t = Tensor.Zeros(3);
        var ex = Assert.Throws<TorchException>(() => t.Narrow(0, 2, 5));
        Assert.Contains("start (2) + length (5) exceeds dimension size (3)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void From_DataLengthNotMatchingShape_TorchExceptionNamingByteCounts()
    {
        var ex = Assert.Throws<TorchException>(() => Tensor.From<float>([1f, 2f, 3f], [2, 2]));
        Assert.Contains("needs 16 bytes but 12 were given", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DeviceParse_BadAndGoodText_FormatExceptionOrDevice()
    {
        Assert.Throws<FormatException>(() => Device.Parse("gpu"));
        Assert.Throws<FormatException>(() => Device.Parse("cuda:x"));
        Assert.Throws<FormatException>(() => Device.Parse("cuda:-1"));
        Assert.Equal(Device.Cuda(1), Device.Parse(" CUDA:1 "));
        Assert.Equal(Device.Cpu, Device.Parse("cpu"));
    }

    [Fact]
    public void SplitSizes_NotSummingToDim_TorchException()
    {
        using var t = Tensor.Arange(5);
        var ex = Assert.Throws<TorchException>(() => t.Split([1L, 2L]));
        Assert.Contains("sum exactly to 5", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ItemAccessor_ManyElements_TorchException()
    {
        using var t = Tensor.Zeros(3);
        Assert.Throws<TorchException>(() => t.ToDouble());
    }

    [Fact]
    public void FailingOps_OfEveryResultKind_LeakNoHandles()
    {
        using var scope = new DisposeScope();
        var a = Tensor.Zeros(3);
        var b = Tensor.Zeros(4);
        var m = Tensor.Zeros(2, 3);
        var i = Tensor.Eye(2, dtype: DType.Int64);
        DisposeScope.CollectOrphans(); // tensors other tests dropped must not move the count
        var before = Tensor.LiveCount;
        Assert.Throws<TorchException>(() => a + b);
        Assert.Throws<TorchException>(() => a.Add_(b));
        Assert.Throws<TorchException>(() => m.Mm(m));
        Assert.Throws<TorchException>(() => m.Max(5));
        Assert.Throws<TorchException>(() => Linalg.Svd(i));
        Assert.Throws<TorchException>(() => a.Split([1L, 1L]));
        Assert.Throws<TorchException>(() => Tensor.Cat([a, m]));
        Assert.Throws<TorchException>(() => Tensor.From<float>([1f], [2]));
        Assert.Equal(before, Tensor.LiveCount);
        Assert.Equal(4, scope.Count);
    }
}
