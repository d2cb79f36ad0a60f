using LowRankTrainer.Runs;

namespace LowRankTrainer.Tests.Runs;

/// <summary>Reading <c>/proc/self/status</c> memory lines.</summary>
public class ProcessMemoryTests
{
    private const string Status = "Name:\tlrt\nVmPeak:\t  900000 kB\nVmHWM:\t  123456 kB\nVmRSS:\t   65432 kB\n";

    [Fact]
    public void Parse_ReadsKibibytesAsBytes()
    {
        Assert.Equal(123456L * 1024, ProcessMemory.Parse(Status, "VmHWM:"));
        Assert.Equal(65432L * 1024, ProcessMemory.Parse(Status, "VmRSS:"));
        Assert.Null(ProcessMemory.Parse(Status, "VmSwap:"));
        Assert.Throws<FormatException>(() => ProcessMemory.Parse("VmHWM:\t12 MB\n", "VmHWM:"));
    }

    [Fact]
    public void OnLinux_ThePeakIsAtLeastTheCurrentResidentSet_AndGrowsWithATouchedAllocation()
    {
        if (!OperatingSystem.IsLinux()) return; // /proc is Linux's; elsewhere both are null by contract
        var before = ProcessMemory.PeakResidentBytes()!.Value;
        // Larger than the whole peak so far, in chunks: with CUDA's libraries loaded the peak is past 2 GiB, more than
        // one array can hold.
        var total = before + (64L << 20);
        var blocks = new List<byte[]>();
        for (var left = total; left > 0; left -= 256L << 20)
        {
            var block = new byte[(int)Math.Min(left, 256L << 20)];
            for (var i = 0; i < block.Length; i += 4096) block[i] = 1; // touch every page so it becomes resident
            blocks.Add(block);
        }
        var rss = ProcessMemory.ResidentBytes()!.Value;
        var peak = ProcessMemory.PeakResidentBytes()!.Value;
        GC.KeepAlive(blocks);
        Assert.True(peak >= rss, $"VmHWM {peak} < VmRSS {rss}");
        Assert.True(peak > before, $"VmHWM stayed at {before} with {total} resident bytes allocated");
    }
}
