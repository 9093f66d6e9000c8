namespace Preconfig.Tests.Fleet;

/// <summary>
/// The daemon's status file (docs/daemon.md "Status file") and the fleet document of <c>preconfig status --format
/// json|prometheus</c> (docs/cli.md) byte for byte: golden files taken from the output before the two models were
/// made one, checked by eye against the documented schema (keys, their order, camelCase, nulls written, indented
/// JSON with the default escaping). A change of the models must leave every byte as it is.
/// </summary>
public sealed class StatusGoldenTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string Golden(string name) => File.ReadAllText(Path.Combine(RepoPaths.Root, "tests", "Preconfig.Tests", "Golden", name));

    /// <summary>Every field set, a store of each kind, text that must be escaped.</summary>
    private static DaemonStatus Full() => new()
    {
        Pid = 812, State = "running", StartedAt = new DateTimeOffset(2026, 11, 30, 12, 50, 0, TimeSpan.FromHours(1)),
        LastCaptureAt = Now.AddSeconds(-90.25), Captures = 3, DeviceCount = 41, LastCaptureMs = 75.2, Signed = true,
        Sources = ["early:/run/preconfig/early.pcfg", "sysfs"],
        Warnings = ["0000:03:00.0: driver/resource unreadable (\"resource\" <odd> é); captured without them"],
        Stores =
        [
            new() { Store = "file:/var/lib/preconfig/handoff.pcfg", Ok = true, Result = "written", Bytes = 5120, LastWriteAt = Now.AddSeconds(-90), LastAttemptAt = Now.AddSeconds(-90) },
            new() { Store = "devmem:/dev/mem@0x30000000+0x100000", Ok = false, Result = "failed", LastAttemptAt = Now.AddSeconds(-30), Error = "Operation not permitted (EPERM)" },
        ],
    };

    private static CaptureKernelRun Run() => new()
    {
        Directory = "/var/crash/202611301202",
        Report = "/var/crash/202611301202/" + CaptureKernelRun.RecordName,
        At = new DateTimeOffset(2026, 11, 30, 11, 2, 0, TimeSpan.Zero),
        ElapsedMs = 4.25,
        Functions = 4,
        Outcomes = new SortedDictionary<string, int>(StringComparer.Ordinal) { ["quiesced"] = 1, ["restored"] = 2, ["skipped"] = 1 },
        ClearedErrorRegisters = 2,
    };

    private string WrittenStatusFile(DaemonStatus status)
    {
        string path = Path.Combine(_dir.Path, "run", "status.json");
        DaemonStatusFile.Write(new FileSystem(), path, status);
        return File.ReadAllText(path);
    }

    [Fact]
    public void The_status_file_is_written_as_the_golden_files_say()
    {
        Assert.Equal(Golden("status-file.json"), WrittenStatusFile(Full()));
        Assert.Equal(Golden("status-file-starting.json"), WrittenStatusFile(new DaemonStatus { Pid = 7, StartedAt = Now }));
    }

    [Fact]
    public void The_status_file_reads_back_to_what_was_written()
    {
        string path = Path.Combine(_dir.Path, "status.json");
        File.WriteAllText(path, Golden("status-file.json"));
        Assert.Equal(Golden("status-file.json"), WrittenStatusFile(DaemonStatusFile.Read(new FileSystem(), path)));
    }

    [Fact]
    public void The_fleet_document_is_written_as_the_golden_files_say()
    {
        var fleet = FleetStatus.From("/run/preconfig/status.json", Full(), processAlive: true, Run(), Now);
        Assert.Equal(Golden("fleet-status.json"), fleet.ToJson());
        Assert.Equal(Golden("fleet-status.prom"), PrometheusText.Format(fleet));
        // A minute later only the ages move.
        Assert.Equal(Golden("fleet-status-later.json"), fleet.Later(Now.AddMinutes(1)).ToJson());

        var unreadable = Run() with { ElapsedMs = null, Functions = 0, Outcomes = new Dictionary<string, int>(), ClearedErrorRegisters = 0,
            Error = "/var/crash/202611301202/preconfig-preinit.json:1: not JSON: '<' is an invalid start of a value." };
        var none = FleetStatus.From("/run/preconfig/status.json", null, processAlive: false, unreadable, Now);
        Assert.Equal(Golden("fleet-status-no-daemon.json"), none.ToJson());
        Assert.Equal(Golden("fleet-status-no-daemon.prom"), PrometheusText.Format(none));
    }
}
