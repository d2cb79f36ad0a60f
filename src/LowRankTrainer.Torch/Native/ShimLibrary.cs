using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

[assembly: DisableRuntimeMarshalling]

namespace LowRankTrainer.Torch.Native;

/// <summary>
/// Locates and loads <c>libtorchshim.so</c>, and turns the shim's status codes into exceptions.
/// </summary>
/// <remarks>
/// Search order: the <c>LRT_TORCHSHIM</c> environment variable (an absolute path), the folder of
/// the application, then <c>artifacts/native/</c> in any parent folder (a source checkout). The shim
/// carries an rpath to its libtorch, so loading it resolves libtorch as well.
/// </remarks>
internal static class ShimLibrary
{
    /// <summary>The symbolic library name used by every <see cref="LibraryImportAttribute"/>.</summary>
    public const string Name = "torchshim";
    private const string FileName = "libtorchshim.so";

    private static int _registered;

    public static void EnsureResolver()
    {
        if (Interlocked.Exchange(ref _registered, 1) == 0)
        {
            NativeLibrary.SetDllImportResolver(typeof(ShimLibrary).Assembly, Resolve);
        }
    }

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != Name)
        {
            return 0;
        }
        var path = Locate();
        if (path is null)
        {
            throw new DllNotFoundException(
                $"{FileName} was not found (looked at $LRT_TORCHSHIM, {AppContext.BaseDirectory} and artifacts/native/ " +
                "in parent folders). Build it with tools/setup.sh.");
        }
        return NativeLibrary.Load(path);
    }

    private static string? Locate()
    {
        var fromEnv = Environment.GetEnvironmentVariable("LRT_TORCHSHIM");
        if (!string.IsNullOrEmpty(fromEnv))
        {
            return File.Exists(fromEnv) ? Path.GetFullPath(fromEnv)
                : throw new DllNotFoundException($"LRT_TORCHSHIM points at '{fromEnv}', which does not exist.");
        }
        var beside = Path.Combine(AppContext.BaseDirectory, FileName);
        if (File.Exists(beside))
        {
            return beside;
        }
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "artifacts", "native", FileName);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    /// <summary>Throws the exception for a non-zero shim status; inlined so the success path is one compare.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Check(int status)
    {
        if (status != 0)
        {
            Throw(status);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static unsafe void Throw(int status)
    {
        var message = LastError();
        throw status switch
        {
            2 => new TorchOutOfMemoryException(message),
            3 => new CudaUnavailableException(message),
            _ => new TorchException(message),
        };
    }

    public static unsafe string LastError()
    {
        var p = NativeMethods.ts_last_error();
        return p is null ? "unknown error" : Marshal.PtrToStringUTF8((nint)p) ?? "unknown error";
    }

    /// <summary>A shim call that writes a NUL-terminated string into (buf, cap) and reports the size it needs.</summary>
    public unsafe delegate int StringProducer(byte* buffer, int capacity, int* needed);

    /// <summary>Runs a string-producing shim call, growing the buffer once if the shim asks for more.</summary>
    public static unsafe string ReadString(StringProducer producer)
    {
        var buffer = new byte[256];
        while (true)
        {
            int needed, status;
            fixed (byte* p = buffer) status = producer(p, buffer.Length, &needed);
            if (status == 4 && needed > buffer.Length)
            {
                buffer = new byte[needed];
                continue;
            }
            Check(status);
            return Encoding.UTF8.GetString(buffer, 0, needed - 1);
        }
    }

    /// <summary>Encodes a string as NUL-terminated UTF-8 for a <c>const char*</c> argument.</summary>
    public static byte[] Utf8Z(string s)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(s) + 1];
        Encoding.UTF8.GetBytes(s, bytes);
        return bytes;
    }
}

internal static unsafe partial class NativeMethods
{
    // Runs before the first P/Invoke of any area: the resolver must be in place, and libtorch's
    // process-wide defaults (threads, denormals, BLAS check) applied, before any op executes.
    static NativeMethods()
    {
        ShimLibrary.EnsureResolver();
        TorchRuntime.ApplyDefaults();
    }
}
