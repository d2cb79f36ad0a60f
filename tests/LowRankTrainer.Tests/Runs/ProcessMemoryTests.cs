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
        var block = new byte[before + (64 << 20)]; // larger than the whole peak so far
        for (var i = 0; i < block.Length; i += 4096) block[i] = 1; // touch every page so it becomes resident
        var rss = ProcessMemory.ResidentBytes()!.Value;
        var peak = ProcessMemory.PeakResidentBytes()!.Value;
        GC.KeepAlive(block);
        Assert.True(peak >= rss, $"VmHWM {peak} < VmRSS {rss}");
        Assert.True(peak > before, $"VmHWM stayed at {before} with a resident {block.Length}-byte block");
    }
}
