namespace Preconfig.Tests.Fleet;

public sealed class PrometheusTextTests : IDisposable
{
    private readonly TempDir _dir = new();
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);
    private const string DevMemLabel = "devmem:/dev/mem@0x30000000+0x100000"; // a store's name in a status record: nothing here opens it

    public void Dispose() => _dir.Dispose();

    internal static DaemonStatus Status(bool signed = true) => new()
    {
        Pid = 812, State = "running", StartedAt = Now.AddMinutes(-10), LastCaptureAt = Now.AddSeconds(-90), Captures = 3,
        DeviceCount = 41, LastCaptureMs = 75.5, Signed = signed, Sources = ["early:/run/preconfig/early.pcfg", "sysfs"],
        Stores =
        [
            new() { Store = "file:/var/lib/preconfig/handoff.pcfg", Ok = true, Result = "unchanged", Bytes = 5120, LastWriteAt = Now.AddSeconds(-90) },
            new() { Store = DevMemLabel, Ok = false, Result = "failed", Error = "Operation not permitted" },
        ],
    };

    private CaptureKernelRun Run()
    {
        string path = _dir.File("crash/202611301202/" + CaptureKernelRun.RecordName, CaptureKernelRunTests.Report);
        File.SetLastWriteTimeUtc(path, new DateTime(2026, 11, 30, 11, 2, 0, DateTimeKind.Utc));
        return CaptureKernelRun.Read(new FileSystem(), path);
    }

    [Fact]
    public void Every_fleet_figure_comes_through_the_reference_parser()
    {
        var text = PrometheusText.Format(FleetStatus.From("/run/preconfig/status.json", Status(), processAlive: true, Run(), Now));
        var m = PromParser.Parse(text);

        Assert.Equal(1, m.One("preconfig_status_present").Value);
        Assert.Equal(1, m.One("preconfig_daemon_running").Value);
        Assert.Equal(90, m.One("preconfig_snapshot_age_seconds").Value);
        Assert.Equal(Now.AddSeconds(-90).ToUnixTimeSeconds(), m.One("preconfig_snapshot_timestamp_seconds").Value);
        Assert.Equal(41, m.One("preconfig_functions_captured").Value);
        Assert.Equal("counter", m.One("preconfig_captures_total").Type);
        Assert.Equal(3, m.One("preconfig_captures_total").Value);
        Assert.Equal(0.0755, m.One("preconfig_capture_duration_seconds").Value, 6);
        Assert.Equal(1, m.One("preconfig_handoff_signed").Value);
        Assert.Equal(2, m.One("preconfig_stores").Value);
        Assert.Equal(1, m.One("preconfig_stores_ok").Value);
        Assert.Equal(1, m.One("preconfig_store_ok", ("store", "file:/var/lib/preconfig/handoff.pcfg")).Value);
        Assert.Equal(0, m.One("preconfig_store_ok", ("store", DevMemLabel)).Value);
        // One series per result, 1 for the current one.
        foreach (var r in PrometheusText.StoreResults)
        {
            Assert.Equal(r == "unchanged" ? 1 : 0, m.One("preconfig_store_result", ("store", "file:/var/lib/preconfig/handoff.pcfg"), ("result", r)).Value);
            Assert.Equal(r == "failed" ? 1 : 0, m.One("preconfig_store_result", ("store", DevMemLabel), ("result", r)).Value);
        }
        Assert.Equal(5120, m.One("preconfig_store_bytes", ("store", "file:/var/lib/preconfig/handoff.pcfg")).Value);
        Assert.Equal(0, m.One("preconfig_store_last_write_timestamp_seconds", ("store", DevMemLabel)).Value);

        Assert.Equal(1, m.One("preconfig_capture_kernel_run_present").Value);
        Assert.Equal(new DateTimeOffset(2026, 11, 30, 11, 2, 0, TimeSpan.Zero).ToUnixTimeSeconds(), m.One("preconfig_capture_kernel_run_timestamp_seconds").Value);
        Assert.Equal(0.00425, m.One("preconfig_capture_kernel_run_duration_seconds").Value, 6);
        Assert.Equal(2, m.One("preconfig_capture_kernel_run_functions", ("outcome", "restored")).Value);
        Assert.Equal(1, m.One("preconfig_capture_kernel_run_functions", ("outcome", "quiesced")).Value);
        Assert.Equal(1, m.One("preconfig_capture_kernel_run_functions", ("outcome", "skipped")).Value);
        Assert.Equal(0, m.One("preconfig_capture_kernel_run_functions", ("outcome", "failed")).Value);
        Assert.Equal(2, m.One("preconfig_capture_kernel_run_cleared_error_registers").Value);
        Assert.EndsWith("202611301202", m.One("preconfig_capture_kernel_run_info").Labels["directory"]);
        // Every family has HELP and TYPE (the parser types a family without TYPE as "unknown").
        Assert.DoesNotContain(m, s => s.Type == "unknown");
    }

    [Fact]
    public void Label_values_with_quotes_backslashes_and_line_feeds_survive_the_parser()
    {
        var status = Status();
        string odd = "file:/var/lib/pre\"config\\x\nhandoff";
        status.Stores = [new() { Store = odd, Ok = true, Result = "written", Bytes = 1 }];
        var m = PromParser.Parse(PrometheusText.Format(FleetStatus.From("s", status, true, null, Now)));
        Assert.Equal(1, m.One("preconfig_store_ok", ("store", odd)).Value);
    }

    [Fact]
    public void Without_a_status_file_it_says_so_and_still_reports_the_capture_kernel_run()
    {
        var m = PromParser.Parse(PrometheusText.Format(FleetStatus.From("/run/preconfig/status.json", null, false, Run(), Now)));
        Assert.Equal(0, m.One("preconfig_status_present").Value);
        Assert.DoesNotContain(m, s => s.Name == "preconfig_functions_captured");
        Assert.Equal(1, m.One("preconfig_capture_kernel_run_present").Value);
    }

    [Fact]
    public void A_killed_daemon_and_an_unsigned_handoff_show_as_zero()
    {
        var m = PromParser.Parse(PrometheusText.Format(FleetStatus.From("s", Status(signed: false), processAlive: false, null, Now)));
        Assert.Equal(0, m.One("preconfig_daemon_running").Value);
        Assert.Equal(0, m.One("preconfig_handoff_signed").Value);
        Assert.Equal(0, m.One("preconfig_capture_kernel_run_present").Value);
    }
}
