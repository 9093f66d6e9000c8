using Microsoft.Extensions.Logging.Abstractions;

namespace Preconfig.Tests.Fleet;

/// <summary>The daemon keeps node_exporter's textfile current when <c>textfileDirectory</c> is configured.</summary>
public sealed class DaemonTextfileTests : IDisposable
{
    private readonly CaptureMachine _m = new();

    public void Dispose() => _m.Dispose();

    private CaptureDaemon Daemon(string? textfileDirectory, string? keyFile)
    {
        var fs = new FileSystem();
        string store = "file:" + Path.Combine(_m.Dir.Path, "handoff.pcfg");
        var settings = new DaemonSettings
        {
            Sources = ["sysfs:" + _m.Root], Stores = [store], KeyFile = keyFile,
            StatusFile = Path.Combine(_m.Dir.Path, "run", "status.json"),
            TextfileDirectory = textfileDirectory, CrashDirectory = Path.Combine(_m.Dir.Path, "crash"),
        };
        var pipeline = new DaemonPipeline([new SysfsSource(fs, _m.Root)], [new HandoffStoreTarget(HandoffStore.Parse(store, fs), null)]);
        return new CaptureDaemon(settings, pipeline, new DeviceSetWatcher(fs, [_m.Root]), fs, NullLogger.Instance);
    }

    [Fact]
    public void The_prom_file_follows_every_capture_and_carries_the_last_capture_kernel_run()
    {
        string metrics = Path.Combine(_m.Dir.Path, "node-exporter");
        Directory.CreateDirectory(metrics);
        _m.Dir.File("crash/202611301202/" + CaptureKernelRun.RecordName, CaptureKernelRunTests.Report);
        var daemon = Daemon(metrics, keyFile: "/etc/preconfig/handoff.key");
        daemon.CaptureAndWrite("test");

        string prom = Path.Combine(metrics, PrometheusTextfile.FileName);
        var m = PromParser.Parse(File.ReadAllText(prom));
        Assert.Equal(_m.Functions.Count, m.One("preconfig_functions_captured").Value);
        Assert.Equal(1, m.One("preconfig_handoff_signed").Value);
        Assert.Equal(1, m.One("preconfig_stores_ok").Value);
        Assert.Equal(1, m.One("preconfig_store_result", ("result", "written")).Value);
        Assert.True(m.One("preconfig_capture_duration_seconds").Value > 0);
        Assert.True(m.One("preconfig_snapshot_age_seconds").Value < 60);
        Assert.Equal(2, m.One("preconfig_capture_kernel_run_functions", ("outcome", "restored")).Value);
        Assert.Empty(Directory.GetFiles(metrics, ".*")); // no temporary file left for the collector to trip on

        daemon.CaptureAndWrite("test");
        m = PromParser.Parse(File.ReadAllText(prom));
        Assert.Equal(2, m.One("preconfig_captures_total").Value);
        Assert.Equal(1, m.One("preconfig_store_result", ("result", "unchanged")).Value);

        var status = DaemonStatusFile.Read(new FileSystem(), Path.Combine(_m.Dir.Path, "run", "status.json"));
        Assert.True(status.Signed);
        Assert.NotNull(status.LastCaptureMs);
    }

    [Fact]
    public void No_directory_configured_or_none_there_writes_nothing_and_the_daemon_goes_on()
    {
        string absent = Path.Combine(_m.Dir.Path, "no-node-exporter");
        var daemon = Daemon(absent, keyFile: null);
        daemon.CaptureAndWrite("test");
        Assert.False(Directory.Exists(absent));
        Assert.True(daemon.Status.Stores[0].Ok);
        Assert.False(daemon.Status.Signed);

        Daemon(null, null).CaptureAndWrite("test");
        Assert.Empty(Directory.GetFiles(_m.Dir.Path, "*.prom", SearchOption.AllDirectories));
    }

    [Fact]
    public void The_setting_comes_from_the_configuration_file_keys()
    {
        var config = DaemonHost.LoadConfiguration(null, [
            new("stores:0", "file:/x"), new("textfileDirectory", "/var/lib/prometheus/node-exporter"), new("crashDirectory", "/srv/crash")],
            environment: new Dictionary<string, string?>());
        var settings = DaemonSettings.From(config);
        Assert.Equal("/var/lib/prometheus/node-exporter", settings.TextfileDirectory);
        Assert.Equal("/srv/crash", settings.CrashDirectory);
        Assert.Equal("/var/crash", DaemonSettings.From(DaemonHost.LoadConfiguration(null, [new("stores:0", "file:/x")],
            environment: new Dictionary<string, string?>())).CrashDirectory);
    }
}
