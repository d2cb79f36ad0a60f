namespace LowRankTrainer.Torch;

/// <summary>An error raised by libtorch (or the shim), carrying libtorch's own message without the C++ backtrace.</summary>
public class TorchException : Exception
{
    /// <summary>Creates the exception with libtorch's message.</summary>
    public TorchException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    public TorchException(string message, Exception inner) : base(message, inner) { }

    /// <summary>Creates the exception with a default message.</summary>
    public TorchException() { }
}

/// <summary>libtorch ran out of memory (host or device). Freeing tensors or <see cref="Cuda.EmptyCache"/> may help before a retry.</summary>
public sealed class TorchOutOfMemoryException : TorchException
{
    /// <summary>Creates the exception with libtorch's message.</summary>
    public TorchOutOfMemoryException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    public TorchOutOfMemoryException(string message, Exception inner) : base(message, inner) { }

    /// <summary>Creates the exception with a default message.</summary>
    public TorchOutOfMemoryException() { }
}

/// <summary>A CUDA-only call was made where no CUDA is present (a CPU build of the shim, or no GPU).</summary>
public sealed class CudaUnavailableException : TorchException
{
    /// <summary>Creates the exception with the shim's "no CUDA" message.</summary>
    public CudaUnavailableException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    public CudaUnavailableException(string message, Exception inner) : base(message, inner) { }

    /// <summary>Creates the exception with a default message.</summary>
    public CudaUnavailableException() { }
}
