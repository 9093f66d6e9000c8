using System.Text.Json;
using Preconfig.Preinit.Apply;
using Preconfig.Preinit.Policy;
using Preconfig.Preinit.Reporting;

namespace Preconfig.Tests.Preinit;

/// <summary>
/// The report is written key by key (PreinitReport.ToJson, no serializer in the initramfs edition). What it must look
/// like is a golden file written by hand from the contract (docs/cli.md "JSON shapes", docs/preinit.md "Report":
/// the keys in that order, the optional ones only when set, indented JSON with the default escaping).
/// </summary>
public class ReportJsonTests
{
    private static string Golden(string name) => File.ReadAllText(Path.Combine(RepoPaths.Root, "tests", "Preconfig.Tests", "Golden", name));

    [Fact]
    public void Every_key_is_written_as_the_golden_file_says()
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
        Assert.Equal(Golden("report-every-key.json"), report.ToJson());
        Assert.Equal("{\n  \"devices\": [],\n  \"elapsedMs\": 0\n}", PreinitReport.Empty(TimeSpan.FromTicks(1)).ToJson());
    }

    [Fact]
    public void A_crash_reports_every_device_with_the_contract_keys()
    {
        var crash = SimulatedCrash.FromDump(Path.Combine(RepoPaths.RealDumps, "pciutils-tests/tree-asus-p6t6")).Dirty(seed: 11);
        var report = crash.Preinit(ReplayPolicy.Parse("""{"reset": "if-supported"}"""), new ApplyOptions { RetryDelay = TimeSpan.Zero, Sleep = _ => { } });
        // Read back by a generic JSON parser: the contract's keys in its order, each value the report's own.
        using var doc = JsonDocument.Parse(report.ToJson());
        Assert.Equal(["devices", "elapsedMs"], doc.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal(report.ElapsedMs, doc.RootElement.GetProperty("elapsedMs").GetDouble());
        var devices = doc.RootElement.GetProperty("devices").EnumerateArray().ToList();
        Assert.Equal(report.Devices.Count, devices.Count);
        string[] optional = ["reset", "leftOut", "clearedErrors"];
        for (int i = 0; i < devices.Count; i++)
        {
            var d = report.Devices[i];
            var j = devices[i];
            var keys = j.EnumerateObject().Select(p => p.Name).ToList();
            Assert.Equal(["address", "outcome", "reason", "writes", "verified"], keys.Take(5));
            Assert.Equal(optional.Where(k => keys.Contains(k)), keys.Skip(5));
            Assert.Equal((d.Address, d.Outcome, d.Reason, d.Writes, d.Verified),
                (j.GetProperty("address").GetString(), j.GetProperty("outcome").GetString(), j.GetProperty("reason").GetString(),
                 j.GetProperty("writes").GetInt32(), j.GetProperty("verified").GetInt32()));
            Assert.Equal(d.Reset is not null, keys.Contains("reset"));
            if (d.Reset is { } reset)
            {
                var r = j.GetProperty("reset");
                Assert.Equal((reset.Method, reset.Status, reset.Verified, reset.Ms, reset.Attempts.Count),
                    (r.GetProperty("method").GetString(), r.GetProperty("status").GetString(), r.GetProperty("verified").GetBoolean(),
                     r.GetProperty("ms").GetDouble(), r.GetProperty("attempts").GetArrayLength()));
            }
            Assert.Equal(d.LeftOut, keys.Contains("leftOut") ? j.GetProperty("leftOut").EnumerateArray().Select(e => e.GetString()!).ToList() : null);
            Assert.Equal(d.ClearedErrors?.Select(c => (c.Register, c.Offset, c.Value)),
                keys.Contains("clearedErrors") ? j.GetProperty("clearedErrors").EnumerateArray()
                    .Select(c => (c.GetProperty("register").GetString()!, c.GetProperty("offset").GetInt32(), c.GetProperty("value").GetString()!)).ToList() : null);
        }
        Assert.Contains(report.Devices, d => d.Reset is not null);
    }
}
