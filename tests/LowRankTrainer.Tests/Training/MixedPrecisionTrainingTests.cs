using System.Text.Json;
using LowRankTrainer.Checkpoints.Safetensors;
using LowRankTrainer.Torch;
using LowRankTrainer.Training;

namespace LowRankTrainer.Tests.Training;

/// <summary><c>train.dtype</c> (issue #9, CPU side): bf16 autocast in the trainer against the same run in fp32.</summary>
// Serial: the trainer seeds the process-global torch RNG.
[Collection(TrainingSerial.Name)]
public class MixedPrecisionTrainingTests
{
    [Fact]
    public void Bf16_FirstLossWithinBFloat16ToleranceOfFp32_WeightsStayFloat32_AndTheRegionCloses()
    {
        using var tiny = new TinyRun();
        var config = tiny.Config();
        var fp32 = tiny.Run(config with { Train = config.Train with { OutputDir = Path.Combine(tiny.Root, "fp32"), Dtype = "fp32" } });
        var bf16 = tiny.Run(config with { Train = config.Train with { OutputDir = Path.Combine(tiny.Root, "bf16"), Dtype = "bf16" } });

        // Step 1 computes the loss of the same initial weights on the same batch (same dropout draws): only precision differs.
        var a = FirstLoss(fp32.RunDirectory);
        var b = FirstLoss(bf16.RunDirectory);
        Assert.NotEqual(a, b); // autocast really ran in bfloat16 (8 significant bits)
        Assert.True(Math.Abs(a - b) <= 2e-2 * Math.Abs(a), $"first loss fp32 {a} vs bf16 {b}");
        Assert.True(bf16.Summary.EvalLoss < bf16.Summary.FirstTrainLoss, "the bf16 run did not learn");
        Assert.True(Math.Abs(fp32.Summary.EvalLoss!.Value - bf16.Summary.EvalLoss!.Value) <= 0.1 * fp32.Summary.EvalLoss.Value,
                    $"eval loss fp32 {fp32.Summary.EvalLoss} vs bf16 {bf16.Summary.EvalLoss}");
        var weights = SafetensorsFile.ReadAll(Path.Combine(bf16.RunDirectory, "final", TrainingCheckpoint.ModelFile));
        try
        {
            Assert.All(weights, kv => Assert.Equal(DType.Float32, kv.Value.DType));
        }
        finally
        {
            TinyRun.Free(weights);
        }
        Assert.False(Autocast.IsEnabled(DeviceType.Cpu));
        Assert.Contains("precision: bf16 autocast", File.ReadAllText(Path.Combine(bf16.RunDirectory, "train.log")), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("auto", "cpu", "fp32")]
    [InlineData("auto", "cuda", "bf16")]
    [InlineData("bf16", "cpu", "bf16")]
    [InlineData("fp32", "cuda", "fp32")]
    [InlineData("fp16", "cuda", "fp16")]
    public void Auto_IsBf16OnCudaAndFp32OnTheCpu(string dtype, string device, string expected)
    {
        var precision = new MixedPrecision(dtype, Device.Parse(device));
        Assert.Equal(expected, precision.Name);
        // Only fp16 scales the loss (bf16 has float32's exponent range).
        Assert.Equal(expected == "fp16", precision.NeedsLossScaling);
        Assert.Equal(expected == "fp16", precision.CreateLossScaler() is { Scale: 65536 });
    }

    [Fact]
    public void Fp16_OnTheCpu_IsRefusedNamingTheKeyAndTheWayOut()
    {
        var e = Assert.Throws<ArgumentException>(() => new MixedPrecision("fp16", Device.Cpu));
        Assert.Equal("train.dtype fp16 needs CUDA (libtorch's CPU autocast computes in bfloat16 only), but the run is on cpu; use bf16 or fp32", e.Message);
    }

    private static double FirstLoss(string run) =>
        File.ReadLines(Path.Combine(run, "metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement)
            .First(e => e.TryGetProperty("loss", out _)).GetProperty("loss").GetDouble();
}
