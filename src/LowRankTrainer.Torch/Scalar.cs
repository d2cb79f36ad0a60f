using System.Runtime.InteropServices;

namespace LowRankTrainer.Torch;

/// <summary>
/// A number passed by value to the shim: a double, or an int64 so that integer tensors keep an
/// integer result (PyTorch's type promotion). Implicit from <see cref="double"/>, <see cref="float"/>,
/// <see cref="long"/>, <see cref="int"/> and <see cref="bool"/>; no native object is created.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public readonly struct Scalar
{
    private readonly double _float;
    private readonly long _int;
    private readonly int _isInt;

    private Scalar(double f, long i, int isInt)
    {
        _float = f;
        _int = i;
        _isInt = isInt;
    }

    /// <summary>True when the value is integral (passed to libtorch as an int64).</summary>
    public bool IsIntegral => _isInt != 0;

    /// <summary>The value as a double.</summary>
    public double ToDouble() => _isInt != 0 ? _int : _float;

    /// <summary>A floating-point scalar.</summary>
    public static Scalar FromDouble(double value) => new(value, 0, 0);

    /// <summary>An integral scalar.</summary>
    public static Scalar FromInt64(long value) => new(0, value, 1);

    /// <summary>A floating-point scalar.</summary>
    public static implicit operator Scalar(double value) => FromDouble(value);

    /// <summary>A floating-point scalar.</summary>
    public static implicit operator Scalar(float value) => FromDouble(value);

    /// <summary>An integral scalar.</summary>
    public static implicit operator Scalar(long value) => FromInt64(value);

    /// <summary>An integral scalar.</summary>
    public static implicit operator Scalar(int value) => FromInt64(value);

    /// <summary>0 or 1 as an integral scalar.</summary>
    public static implicit operator Scalar(bool value) => FromInt64(value ? 1 : 0);

    /// <summary>The negated value, keeping its kind.</summary>
    public static Scalar operator -(Scalar value) =>
        value._isInt != 0 ? FromInt64(-value._int) : FromDouble(-value._float);

    /// <summary>The negated value, keeping its kind.</summary>
    public static Scalar Negate(Scalar value) => -value;

    /// <inheritdoc/>
    public override string ToString() =>
        _isInt != 0 ? _int.ToString(System.Globalization.CultureInfo.InvariantCulture)
                    : _float.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
}
