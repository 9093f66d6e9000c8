namespace Preconfig.Tests.Fleet;

public sealed class CaptureKernelRunTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly FileSystem _fs = new();

    public void Dispose() => _dir.Dispose();

    internal const string Report = """
        { "devices": [
            { "address": "0000:00:02.0", "outcome": "restored", "reason": "3 register(s) restored", "writes": 3, "verified": 3,
              "clearedErrors": [ { "register": "Status", "value": "0x4010" }, { "register": "AER.UncorStatus", "value": "0x00100000" } ] },
            { "address": "0000:00:03.0", "outcome": "restored", "reason": "already in firmware state", "writes": 0, "verified": 5 },
            { "address": "0000:00:1f.2", "outcome": "skipped", "reason": "driver bound (ahci)" },
            { "address": "0000:01:00.0", "outcome": "quiesced", "reason": "new: not in the snapshot" } ],
          "elapsedMs": 4.25 }
        """;

    private string Record(string dumpDir, string content, DateTime writtenUtc)
    {
        string path = _dir.File(Path.Combine("crash", dumpDir, CaptureKernelRun.RecordName), content);
        File.SetLastWriteTimeUtc(path, writtenUtc);
        return path;
    }

    [Fact]
    public void The_newest_record_beside_a_dump_is_the_last_run_with_its_outcomes_time_and_cleared_registers()
    {
        Record("202611291010", """{ "devices": [], "elapsedMs": 1 }""", new DateTime(2026, 11, 29, 10, 10, 0, DateTimeKind.Utc));
        string newest = Record("202611301202", Report, new DateTime(2026, 11, 30, 12, 2, 30, DateTimeKind.Utc));
        // A dump directory without a record (preconfig was not installed then) and kdump-utils' layout side by side.
        Directory.CreateDirectory(Path.Combine(_dir.Path, "crash", "202611301300"));
        Record("127.0.0.1-2026-11-20-08:00:00", Report, new DateTime(2026, 11, 20, 8, 0, 0, DateTimeKind.Utc));

        var run = CaptureKernelRun.FindLatest(_fs, Path.Combine(_dir.Path, "crash"))!;
        Assert.Equal(newest, run.Report);
        Assert.Equal(Path.Combine(_dir.Path, "crash", "202611301202"), run.Directory);
        Assert.Equal(new DateTimeOffset(2026, 11, 30, 12, 2, 30, TimeSpan.Zero), run.At);
        Assert.Null(run.Error);
        Assert.Equal(4, run.Functions);
        Assert.Equal(4.25, run.ElapsedMs);
        Assert.Equal(2, run.Outcomes["restored"]);
        Assert.Equal(1, run.Outcomes["skipped"]);
        Assert.Equal(1, run.Outcomes["quiesced"]);
        Assert.Equal(2, run.ClearedErrorRegisters);
    }

    [Fact]
    public void The_kdump_utils_layout_is_found_too()
    {
        Record("192.168.1.7-2026-11-30-12:02:31", Report, DateTime.UtcNow);
        var run = CaptureKernelRun.FindLatest(_fs, Path.Combine(_dir.Path, "crash"))!;
        Assert.EndsWith("192.168.1.7-2026-11-30-12:02:31", run.Directory);
        Assert.Equal(4, run.Functions);
    }

    [Theory]
    [InlineData("{ \"devices\": [ { \"outcome\": ", ":1: not JSON")]
    [InlineData("[1, 2]", "not a JSON object")]
    [InlineData("{ \"elapsedMs\": 3 }", "no \"devices\" array")]
    public void A_damaged_record_is_reported_with_its_path_not_thrown(string content, string expected)
    {
        string path = Record("202611301202", content, DateTime.UtcNow);
        var run = CaptureKernelRun.FindLatest(_fs, Path.Combine(_dir.Path, "crash"))!;
        Assert.NotNull(run.Error);
        Assert.StartsWith(path, run.Error);
        Assert.Contains(expected, run.Error);
        Assert.Equal(0, run.Functions);
    }

    [Fact]
    public void No_crash_directory_or_no_record_means_no_run()
    {
        Assert.Null(CaptureKernelRun.FindLatest(_fs, Path.Combine(_dir.Path, "nowhere")));
        Directory.CreateDirectory(Path.Combine(_dir.Path, "crash", "202611301202"));
        _dir.File("crash/202611301202/dump.202611301202", "not ours");
        Assert.Null(CaptureKernelRun.FindLatest(_fs, Path.Combine(_dir.Path, "crash")));
    }
}
