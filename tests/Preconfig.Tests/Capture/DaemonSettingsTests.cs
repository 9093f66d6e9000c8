using System.IO.Abstractions.TestingHelpers;

namespace Preconfig.Tests.Capture;

public sealed class DaemonSettingsTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string ConfigFile(string json) => _dir.File("preconfig.json", json);

    [Fact]
    public void File_then_environment_then_command_line()
    {
        string file = ConfigFile("""
            { "sources": ["earlydump:kmsg", "sysfs"], "stores": ["file:/var/lib/a.pcfg", "initrd:/var/lib/b.cpio"],
              "keyFile": "/etc/preconfig/key", "pollIntervalSeconds": 5, "statusFile": "/run/x.json" }
            """);
        var s = DaemonSettings.From(DaemonHost.LoadConfiguration(file, [], new Dictionary<string, string?>()));
        Assert.Equal(["earlydump:kmsg", "sysfs"], s.Sources);
        Assert.Equal(["file:/var/lib/a.pcfg", "initrd:/var/lib/b.cpio"], s.Stores);
        Assert.Equal("/etc/preconfig/key", s.KeyFile);
        Assert.Equal(TimeSpan.FromSeconds(5), s.PollInterval);
        Assert.Equal("/run/x.json", s.StatusFile);

        var env = new Dictionary<string, string?>
        {
            ["PRECONFIG_POLLINTERVALSECONDS"] = "3",
            ["PRECONFIG_SOURCES"] = "sysfs:/tmp/tree, earlydump:/var/log/boot.log",
            ["OTHER_THING"] = "ignored",
        };
        s = DaemonSettings.From(DaemonHost.LoadConfiguration(file, [], env));
        Assert.Equal(TimeSpan.FromSeconds(3), s.PollInterval);
        Assert.Equal(["sysfs:/tmp/tree", "earlydump:/var/log/boot.log"], s.Sources);

        s = DaemonSettings.From(DaemonHost.LoadConfiguration(file, [new("pollIntervalSeconds", "1.5")], env),
            sources: ["sysfs"], stores: ["file:/tmp/c.pcfg"]);
        Assert.Equal(TimeSpan.FromSeconds(1.5), s.PollInterval);
        Assert.Equal(["sysfs"], s.Sources);            // the command line replaces the list as a whole
        Assert.Equal(["file:/tmp/c.pcfg"], s.Stores);
        Assert.Equal("/etc/preconfig/key", s.KeyFile);  // what the command line does not say stays
    }

    [Fact]
    public void Environment_arrays_by_index_work_too()
    {
        var env = new Dictionary<string, string?> { ["PRECONFIG_STORES__0"] = "file:/a", ["PRECONFIG_STORES__1"] = "file:/b" };
        var s = DaemonSettings.From(DaemonHost.LoadConfiguration(null, [], env));
        Assert.Equal(["file:/a", "file:/b"], s.Stores);
        Assert.Equal(["sysfs"], s.Sources); // the default
    }

    [Fact]
    public void Bad_settings_are_errors_that_say_what_is_wrong()
    {
        var none = new Dictionary<string, string?>();
        Assert.Contains("no store configured", Assert.Throws<InvalidDataException>(() => DaemonSettings.From(DaemonHost.LoadConfiguration(null, [], none))).Message);
        Assert.Contains("at most 10", Assert.Throws<InvalidDataException>(() =>
            DaemonSettings.From(DaemonHost.LoadConfiguration(null, [new("pollIntervalSeconds", "30")], none), stores: ["x"])).Message);
        Assert.Contains("not a number", Assert.Throws<InvalidDataException>(() =>
            DaemonSettings.From(DaemonHost.LoadConfiguration(null, [new("pollIntervalSeconds", "soon")], none), stores: ["x"])).Message);
        string missing = Path.Combine(_dir.Path, "missing.json");
        Assert.Contains(missing, Assert.Throws<FileNotFoundException>(() => DaemonHost.LoadConfiguration(missing, [], none)).Message);
        string broken = ConfigFile("{ \"sources\": [ ");
        Assert.Contains(broken, Assert.Throws<InvalidDataException>(() => DaemonHost.LoadConfiguration(broken, [], none)).Message);
    }

    /// <summary>On a <see cref="MockFileSystem"/>: the real paths, and a process table (<c>/proc/PID</c>) the test decides.</summary>
    // issue 24 item 7: NaN compares false with everything, so "poll is <= 0 or > 10" let it through to Task.Delay.
    [Theory]
    [InlineData("pollIntervalSeconds", "NaN")]
    [InlineData("pollIntervalSeconds", "-Infinity")]
    [InlineData("retryIntervalSeconds", "NaN")]
    [InlineData("retryIntervalSeconds", "Infinity")]
    public void Nan_and_infinite_intervals_are_refused_when_read(string key, string value)
    {
        var e = Assert.Throws<InvalidDataException>(() => DaemonSettings.From(
            DaemonHost.LoadConfiguration(null, [new(key, value)], new Dictionary<string, string?>()), stores: ["x"]));
        Assert.StartsWith($"{key} is ", e.Message);
    }

    [Fact]
    public void A_command_line_source_that_replaces_the_configured_ones_says_so()
    {
        string file = _dir.File("preconfig.json", """{ "stores": ["file:/x"], "sources": ["earlydump:kmsg", "sysfs"] }""");
        var s = DaemonSettings.From(DaemonHost.LoadConfiguration(file, [], new Dictionary<string, string?>()), sources: ["sysfs"]);
        Assert.Equal(["sysfs"], s.Sources);
        var note = Assert.Single(s.Notes);
        Assert.Contains("--source sysfs replaces the configured sources (earlydump:kmsg, sysfs), which are not used", note);
        Assert.Empty(DaemonSettings.From(DaemonHost.LoadConfiguration(file, [], new Dictionary<string, string?>())).Notes);
    }

    [Fact]
    public void Status_file_round_trips_and_reads_as_text()
    {
        var fs = new MockFileSystem();
        const string path = DaemonSettings.DefaultStatusFile;
        fs.Directory.CreateDirectory("/proc/812");
        var status = new DaemonStatus
        {
            Pid = 812, State = "running", StartedAt = DateTimeOffset.Parse("2026-11-21T06:00:00Z"),
            LastCaptureAt = DateTimeOffset.Parse("2026-11-21T06:00:01Z"), Captures = 2, DeviceCount = 41, Sources = ["sysfs"],
            Stores =
            [
                new StoreStatus { Store = "file:/a", Ok = true, Result = "written", Bytes = 5120, LastWriteAt = DateTimeOffset.Parse("2026-11-21T06:00:01Z") },
                new StoreStatus { Store = "devmem:/tmp/region.bin@0x1000+64K", Ok = false, Result = "failed", Error = "permission denied" },
            ],
        };
        DaemonStatusFile.Write(fs, path, status);
        var back = DaemonStatusFile.Read(fs, path);
        Assert.Equal(41, back.DeviceCount);
        Assert.Equal("permission denied", back.Stores[1].Error);
        Assert.Contains("\"deviceCount\": 41", fs.File.ReadAllText(path));
        Assert.Equal(["/run/preconfig/status.json"], fs.Directory.GetFiles("/run/preconfig")); // replaced, no temporary file left

        string text = StatusText.Format(back, fs);
        Assert.Contains("daemon: running, pid 812, started", text);
        Assert.Contains("last capture: 2026-11-21 06:00:01Z, 41 functions, 2 captures, sources sysfs", text);
        Assert.Contains("store file:/a: ok (written, 5120 bytes, last written 2026-11-21 06:00:01Z)", text);
        Assert.Contains("store devmem:/tmp/region.bin@0x1000+64K: FAILED (failed: permission denied)", text);

        fs.Directory.Delete("/proc/812"); // the daemon died without saying so
        Assert.Contains("daemon: running (but process is gone), pid 812", StatusText.Format(back, fs));
    }

    [Fact]
    public void A_missing_or_broken_status_file_is_an_error_naming_it()
    {
        var fs = new MockFileSystem();
        const string missing = "/run/preconfig/status.json", broken = "/tmp/broken.json";
        Assert.Contains(missing, Assert.Throws<FileNotFoundException>(() => DaemonStatusFile.Read(fs, missing)).Message);
        fs.AddFile(broken, new MockFileData("{\n \"pid\": \"x\" }"));
        Assert.StartsWith(broken + ":2:", Assert.Throws<InvalidDataException>(() => DaemonStatusFile.Read(fs, broken)).Message);
    }
}
