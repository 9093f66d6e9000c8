using System.Text.Json;
using Preconfig.Preinit.Apply;
using Preconfig.Preinit.Policy;
using Preconfig.Preinit.Reporting;

namespace Preconfig.Tests.Preinit;

/// <summary>
/// The report is written key by key (PreinitReport.ToJson, no serializer in the initramfs edition): it must stay byte
/// for byte what System.Text.Json's serializer writes for the same records, every optional key included.
/// </summary>
public class ReportJsonTests
{
    private static string Serialized(PreinitReport report) => JsonSerializer.Serialize(report, ReportJsonContext.Default.PreinitReport);

    [Fact]
    public void Every_key_is_written_as_the_serializer_writes_it()
    {
        var report = new PreinitReport
        {
            ElapsedMs = 12.345,
            Devices =
            [
                new DeviceOutcome { Address = "0000:00:00.0", Outcome = PreinitReport.Skipped, Reason = "driver bound: <pcieport> & \"quoted\" é \u2028" },
                new DeviceOutcome
                {
                    Address = "0000:03:00.0", Outcome = PreinitReport.Restored, Reason = "3 register(s) restored", Writes = 4, Verified = 3,
                    Reset = DeviceReset.From(new ResetResult([
                        new ResetAttempt("flr", "reset_method=flr: ok; reset=1: ok", false, 0.1, "MSI address still 0xfee00000"),
                        new ResetAttempt("bus", "reset=1: Inappropriate ioctl for device", true, 1234.5678, ""),
                    ])),
                    LeftOut = ["CAP_EXP+8.w: byte(s) 0x68-0x69 not captured"],
                    ClearedErrors = [new ClearedError("STATUS", 6, "0x4010"), new ClearedError("ECAP_AER+4.l", 0x104, "0x00100000")],
                },
                new DeviceOutcome { Address = "0000:04:00.0", Outcome = PreinitReport.Failed, Reason = "", Writes = 1, LeftOut = [], ClearedErrors = [] },
            ],
        };
        Assert.Equal(Serialized(report), report.ToJson());
        Assert.Equal(Serialized(PreinitReport.Empty(TimeSpan.FromTicks(1))), PreinitReport.Empty(TimeSpan.FromTicks(1)).ToJson());
    }

    [Fact]
    public void A_crash_reports_as_the_serializer_would_write_it()
    {
        var crash = SimulatedCrash.FromDump(Path.Combine(RepoPaths.RealDumps, "pciutils-tests/tree-asus-p6t6")).Dirty(seed: 11);
        var report = crash.Preinit(ReplayPolicy.Parse("""{"reset": "if-supported"}"""), new ApplyOptions { RetryDelay = TimeSpan.Zero, Sleep = _ => { } });
        Assert.Equal(Serialized(report), report.ToJson());
    }
}
