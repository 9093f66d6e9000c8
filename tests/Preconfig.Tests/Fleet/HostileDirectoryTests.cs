using System.Runtime.InteropServices;
using Microsoft.Extensions.Hosting;

namespace Preconfig.Tests.Fleet;

/// <summary>
/// issue 24, items 1-2: what a local user can plant where root reads and writes (the crash directory, often 1777;
/// node_exporter's textfile directory; the directory of a file store). All on temp folders.
/// </summary>
public sealed class HostileDirectoryTests : IDisposable
{
    private readonly CaptureMachine _m = new();
    private string Crash => Path.Combine(_m.Dir.Path, "crash");
    private string Metrics => Path.Combine(_m.Dir.Path, "node-exporter");

    public void Dispose() => _m.Dispose();

    [DllImport("libc", SetLastError = true)]
    private static extern int mkfifo(string path, uint mode);

    [DllImport("libc", SetLastError = true)]
    private static extern int open(string path, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);

    [DllImport("libc", SetLastError = true)]
    private static extern int chown(string path, uint uid, uint gid);

    private string Fifo(string dumpDir)
    {
        string dir = Path.Combine(Crash, dumpDir);
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, CaptureKernelRun.RecordName);
        Assert.Equal(0, mkfifo(path, 0x1b6));
        return path;
    }

    private (DaemonSettings, DaemonPipeline) Daemon(string store)
    {
        var fs = new FileSystem();
        var settings = new DaemonSettings
        {
            Sources = ["sysfs:" + _m.Root], Stores = [store], PollInterval = TimeSpan.FromMilliseconds(100),
            StatusFile = Path.Combine(_m.Dir.Path, "run", "status.json"), TextfileDirectory = Metrics, CrashDirectory = Crash,
        };
        return (settings, new DaemonPipeline([new SysfsSource(fs, _m.Root)], [new HandoffStoreTarget(HandoffStore.Parse(store, fs), null)]));
    }

    [Fact]
    public async Task A_fifo_planted_as_the_capture_kernel_record_neither_blocks_the_start_nor_the_stop()
    {
        Directory.CreateDirectory(Metrics);
        string fifo = Fifo("209912312359");
        string store = Path.Combine(_m.Dir.Path, "handoff.pcfg");
        var (settings, pipeline) = Daemon("file:" + store);
        var fs = new FileSystem();
        using var host = DaemonHost.Build(settings, pipeline, fs, new DeviceSetWatcher(fs, [_m.Root]), new Serilog.LoggerConfiguration().CreateLogger());
        try
        {
            // StartAsync returning is what sends READY=1; StopAsync is what SIGTERM does.
            await Task.Run(() => host.StartAsync()).WaitAsync(TimeSpan.FromSeconds(15));
            Assert.True(File.Exists(store));
            await Task.Run(() => host.StopAsync()).WaitAsync(TimeSpan.FromSeconds(15));
        }
        finally
        {
            // Unblock a reader stuck on the FIFO (today's code), so the test run itself can end: a writer that
            // opens (O_NONBLOCK: ENXIO at once when nobody reads) and closes gives the reader its end of file.
            int fd = open(fifo, 0x1 | 0x800);
            if (fd >= 0) close(fd);
        }
        Assert.Equal("stopped", DaemonStatusFile.Read(fs, settings.StatusFile).State);
        var m = PromParser.Parse(File.ReadAllText(Path.Combine(Metrics, PrometheusTextfile.FileName)));
        Assert.Equal(0, m.One("preconfig_capture_kernel_run_present").Value);
    }

    [Fact]
    public void A_fifo_a_link_or_another_users_file_is_never_taken_for_the_record_and_the_real_one_still_is()
    {
        string real = _m.Dir.File("crash/202611301202/" + CaptureKernelRun.RecordName, CaptureKernelRunTests.Report);
        File.SetLastWriteTimeUtc(real, new DateTime(2026, 11, 30, 12, 2, 0, DateTimeKind.Utc));
        Fifo("209901010000");
        // A link to an endless device, and a link to a root-only file (its content must not reach the metrics).
        Directory.CreateDirectory(Path.Combine(Crash, "209901010001"));
        File.CreateSymbolicLink(Path.Combine(Crash, "209901010001", CaptureKernelRun.RecordName), "/dev/zero");
        Directory.CreateDirectory(Path.Combine(Crash, "209901010002"));
        File.CreateSymbolicLink(Path.Combine(Crash, "209901010002", CaptureKernelRun.RecordName), real);
        // A directory that is a link to another one.
        Directory.CreateSymbolicLink(Path.Combine(Crash, "209901010003"), Path.Combine(Crash, "202611301202"));
        // A well-formed record planted by another user (nobody), dated later: it would fake the last run.
        string planted = _m.Dir.File("crash/209901010004/" + CaptureKernelRun.RecordName, """{ "devices": [ { "outcome": "restored" } ] }""");
        Assert.Equal(0, chown(planted, 65534, 65534));
        Assert.Equal(0, chown(Path.GetDirectoryName(planted)!, 65534, 65534));

        var started = System.Diagnostics.Stopwatch.StartNew();
        var run = CaptureKernelRun.FindLatest(new FileSystem(), Crash)!;
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(5));
        Assert.Equal(real, run.Report);
        Assert.Null(run.Error);
        Assert.Equal(4, run.Functions);
    }

    [Fact]
    public void Reading_a_planted_record_directly_names_what_it_is_instead_of_reading_it()
    {
        string fifo = Fifo("209901010000");
        var run = CaptureKernelRun.Read(new FileSystem(), fifo);
        Assert.StartsWith(fifo, run.Error);
        Assert.Contains("a FIFO, not a regular file", run.Error);

        string link = Path.Combine(Crash, "209901010000", "link.json");
        File.CreateSymbolicLink(link, "/dev/zero");
        Assert.Contains("a symbolic link", CaptureKernelRun.Read(new FileSystem(), link).Error);
    }

    [Fact]
    public void Outcome_label_values_stay_a_fixed_set_whatever_the_report_says()
    {
        var devices = string.Join(",", Enumerable.Range(0, 500).Select(i => $$"""{ "outcome": "made-up-{{i}}" }"""));
        string path = _m.Dir.File("crash/202611301202/" + CaptureKernelRun.RecordName,
            $$"""{ "devices": [ {{devices}}, { "outcome": "restored" }, { } ] }""");
        var run = CaptureKernelRun.Read(new FileSystem(), path);
        var m = PromParser.Parse(PrometheusText.Format(FleetStatus.From("/run/preconfig/status.json", null, false, run, DateTimeOffset.UtcNow)));
        var series = m.Where(s => s.Name == "preconfig_capture_kernel_run_functions").ToList();
        Assert.Equal(["failed", "left-to-kernel", "other", "quiesced", "restored", "skipped", "unknown"], series.Select(s => s.Labels["outcome"]).Order());
        Assert.Equal(500, series.Single(s => s.Labels["outcome"] == "other").Value);
    }

    [Fact]
    public void A_link_planted_at_the_metrics_temporary_name_is_not_written_through()
    {
        Directory.CreateDirectory(Metrics);
        string victim = _m.Dir.File("root-only/handoff.cpio.gz", "precious");
        foreach (var name in new[] { ".preconfig.prom.tmp", PrometheusTextfile.FileName })
            File.CreateSymbolicLink(Path.Combine(Metrics, name), victim);
        var (settings, pipeline) = Daemon("file:" + Path.Combine(_m.Dir.Path, "handoff.pcfg"));
        var fs = new FileSystem();
        new CaptureDaemon(settings, pipeline, new DeviceSetWatcher(fs, [_m.Root]), fs, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance)
            .CaptureAndWrite("test");

        Assert.Equal("precious", File.ReadAllText(victim));
        var prom = new FileInfo(Path.Combine(Metrics, PrometheusTextfile.FileName));
        Assert.Null(prom.LinkTarget);                   // the planted link was replaced by our own file
        Assert.Contains("preconfig_functions_captured", File.ReadAllText(prom.FullName));
    }

    [Fact]
    public void A_link_planted_at_a_file_stores_old_temporary_name_is_not_written_through_and_the_blob_is_root_only()
    {
        string store = Path.Combine(_m.Dir.Path, "spool", "handoff.pcfg");
        Directory.CreateDirectory(Path.GetDirectoryName(store)!);
        string victim = _m.Dir.File("root-only/shadow", "precious");
        File.CreateSymbolicLink(Path.Combine(Path.GetDirectoryName(store)!, $".handoff.pcfg.{Environment.ProcessId}.tmp"), victim);
        var (settings, pipeline) = Daemon("file:" + store);
        var fs = new FileSystem();
        var daemon = new CaptureDaemon(settings, pipeline, new DeviceSetWatcher(fs, [_m.Root]), fs, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        daemon.CaptureAndWrite("test");

        Assert.Equal("precious", File.ReadAllText(victim));
        Assert.True(daemon.Status.Stores[0].Ok);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(store));
        // The status directory (it also holds the early snapshot) is made root-only.
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute,
            File.GetUnixFileMode(Path.GetDirectoryName(settings.StatusFile)!));
    }
}
