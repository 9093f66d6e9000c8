using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using static Preconfig.Tests.Capture.EarlydumpLogs;

namespace Preconfig.Tests.Capture;

public sealed class DaemonTests : IDisposable
{
    private readonly CaptureMachine _m = new(skipFirst: true); // the first function is added later

    private SysfsTree _tree => _m.Tree;
    private TempDir _dir => _m.Dir;
    private List<(PciAddress Address, byte[] Config)> _functions => _m.Functions;

    public void Dispose() => _m.Dispose();

    private DaemonSettings Settings(params string[] stores) => new()
    {
        Sources = ["sysfs:" + _tree.Root],
        Stores = stores,
        PollInterval = TimeSpan.FromMilliseconds(100),
        StatusFile = Path.Combine(_dir.Path, "run", "status.json"),
    };

    private DaemonPipeline Pipeline(params IStoreTarget[] stores) => new([new SysfsSource(_tree.FileSystem, _tree.Root)], stores);

    private IHost Host(DaemonSettings settings, DaemonPipeline pipeline, ISystemdNotifier? systemd = null, TimeSpan? watchdog = null) =>
        DaemonHost.Build(settings, pipeline, _tree.FileSystem, new DeviceSetWatcher(_tree.FileSystem, [_tree.Root]),
            new Serilog.LoggerConfiguration().CreateLogger(), systemd, watchdog);

    private static async Task<bool> Eventually(Func<bool> condition, TimeSpan within)
    {
        var end = DateTime.UtcNow + within;
        while (DateTime.UtcNow < end)
        {
            if (condition()) return true;
            await Task.Delay(50);
        }
        return condition();
    }

    [Fact]
    public async Task A_function_added_and_one_removed_show_up_in_the_store_within_10_seconds()
    {
        var store = new ListingStore(Path.Combine(_dir.Path, "store.txt"));
        using var host = Host(Settings(store.Spec), Pipeline(store));
        await host.StartAsync();
        Assert.True(await Eventually(() => store.Writes >= 1, TimeSpan.FromSeconds(10)));
        Assert.Equal(_functions.Skip(1).Select(f => f.Address.ToString()), store.ReadAddresses());

        var added = _functions[0];
        var removed = _functions[^1].Address;
        _tree.AddDevice(added.Address, added.Config);
        Directory.Delete(_tree.DeviceDir(removed), recursive: true);

        Assert.True(await Eventually(() =>
        {
            var now = store.ReadAddresses();
            return now.Contains(added.Address.ToString()) && !now.Contains(removed.ToString());
        }, TimeSpan.FromSeconds(10)));
        await host.StopAsync();

        var status = DaemonStatusFile.Read(new FileSystem(), Settings().StatusFile);
        Assert.Equal("stopped", status.State);
        Assert.Equal(_functions.Count - 1, status.DeviceCount);
        Assert.True(status.Captures >= 2);
        var s = Assert.Single(status.Stores);
        Assert.True(s.Ok);
        Assert.Equal(store.Spec, s.Store);
    }

    [Fact]
    public void Nothing_is_rewritten_when_the_content_did_not_change()
    {
        var store = new ListingStore(Path.Combine(_dir.Path, "store.txt"));
        var daemon = new CaptureDaemon(Settings(store.Spec), Pipeline(store), new DeviceSetWatcher(_tree.FileSystem, [_tree.Root]),
            _tree.FileSystem, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        daemon.CaptureAndWrite("test");
        daemon.CaptureAndWrite("test");
        Assert.Equal(1, store.Writes);
        Assert.Equal("unchanged", daemon.Status.Stores[0].Result);

        // A register a driver changed later is not news: the earlier, more pristine bytes stay.
        var (a, c) = _functions[2];
        var changed = (byte[])c.Clone();
        changed[0x04] |= 0x04; // Bus Master on
        _tree.AddDevice(a, changed);
        daemon.CaptureAndWrite("test");
        Assert.Equal(1, store.Writes);

        // A driver bound since is new content (it describes the function now), but the bytes are still the early ones.
        _m.BindDriver(a, "ahci");
        daemon.CaptureAndWrite("test");
        Assert.Equal(2, store.Writes);
        var record = store.Last!.Find(a)!;
        Assert.Equal("ahci", record.Driver);
        Assert.Equal(c, record.Config);
        Assert.Equal(Pristineness.Undriven, record.Origins[0].Pristineness);
    }

    [Fact]
    public async Task Stopping_during_a_store_write_waits_for_it_and_the_old_content_stays_readable_meanwhile()
    {
        var store = new ListingStore(Path.Combine(_dir.Path, "store.txt"));
        using var host = Host(Settings(store.Spec), Pipeline(store));
        await host.StartAsync();
        Assert.True(await Eventually(() => store.Writes >= 1, TimeSpan.FromSeconds(10)));
        string before = File.ReadAllText(store.Path);

        store.Gate = new SemaphoreSlim(0);
        _tree.AddDevice(_functions[0].Address, _functions[0].Config);
        Assert.True(await Eventually(() => store.InsideWrite, TimeSpan.FromSeconds(10)));

        var stopping = host.StopAsync(); // what SIGTERM does: the host cancels the service's token
        await Task.Delay(300);
        Assert.False(stopping.IsCompleted);                     // the write in progress is not abandoned
        Assert.Equal(before, File.ReadAllText(store.Path));     // and the store still holds the whole old content

        store.Gate.Release();
        await stopping;
        var after = store.ReadAddresses();
        Assert.Contains(_functions[0].Address.ToString(), after);
        Assert.Equal(_functions.Count, after.Count);
        Assert.Equal("stopped", DaemonStatusFile.Read(new FileSystem(), Settings().StatusFile).State);
    }

    [Fact]
    public async Task With_the_real_file_store_a_stop_during_a_write_keeps_the_old_blob_readable_then_the_new_one()
    {
        string path = Path.Combine(_dir.Path, "handoff.pcfg");
        var store = new GatedStore(new HandoffStoreTarget(HandoffStore.Parse("file:" + path, new FileSystem()), null));
        using var host = Host(Settings(store.Spec), Pipeline(store));
        await host.StartAsync();
        Assert.True(await Eventually(() => File.Exists(path), TimeSpan.FromSeconds(10)));
        Assert.Equal(_functions.Count - 1, InputLoader.Load(path, new FileSystem()).Snapshot.Devices.Count);

        store.Gate = new SemaphoreSlim(0);
        _tree.AddDevice(_functions[0].Address, _functions[0].Config);
        Assert.True(await Eventually(() => store.Waiting, TimeSpan.FromSeconds(10)));
        var stopping = host.StopAsync();
        await Task.Delay(300);
        Assert.False(stopping.IsCompleted);
        Assert.Equal(_functions.Count - 1, InputLoader.Load(path, new FileSystem()).Snapshot.Devices.Count); // old, whole

        store.Gate.Release();
        await stopping;
        var after = InputLoader.Load(path, new FileSystem());
        Assert.Equal(_functions.Count, after.Snapshot.Devices.Count);
        Assert.Equal(2ul, after.Stored!.Blob.Info.Sequence);
    }

    /// <summary>A real store whose next write waits at the gate first: the moment a stop request can arrive mid-capture.</summary>
    private sealed class GatedStore(IStoreTarget inner) : IStoreTarget
    {
        public string Spec => inner.Spec;
        public SemaphoreSlim? Gate { get; set; }
        public volatile bool Waiting;

        public long Write(Snapshot snapshot)
        {
            if (Gate is { } gate)
            {
                Waiting = true;
                gate.Wait();
            }
            return inner.Write(snapshot);
        }
    }

    [Fact]
    public async Task Systemd_hears_status_then_ready_once_the_stores_are_written_then_stopping()
    {
        var store = new ListingStore(Path.Combine(_dir.Path, "store.txt"));
        var systemd = new RecordingNotifier(() => store.Writes);
        using var host = Host(Settings(store.Spec), Pipeline(store), systemd);
        await host.StartAsync();

        // READY=1 comes from the package's SystemdLifetime when the host has started: after the first store write.
        var sent = systemd.Sent;
        var ready = Assert.Single(sent, n => n.Line == "READY=1");
        Assert.Equal(1, ready.StoreWrites);
        string status = sent[sent.IndexOf(ready) - 1].Line;
        Assert.StartsWith("STATUS=" + (_functions.Count - 1) + " functions captured", status);
        Assert.EndsWith("1/1 stores up to date", status);

        await host.StopAsync();
        var lines = systemd.Sent.Select(n => n.Line).ToList();
        Assert.Contains("STOPPING=1", lines);
        Assert.StartsWith("STATUS=stopped; ", lines[^1]);
        Assert.True(lines.IndexOf("STOPPING=1") < lines.Count - 1);
        Assert.DoesNotContain(lines, l => l.StartsWith("WATCHDOG", StringComparison.Ordinal)); // the unit asked for none
    }

    [Fact]
    public async Task The_watchdog_is_pinged_at_half_its_timeout_even_when_polling_is_slower()
    {
        var store = new ListingStore(Path.Combine(_dir.Path, "store.txt"));
        var systemd = new RecordingNotifier(() => store.Writes);
        var settings = Settings(store.Spec) with { PollInterval = TimeSpan.FromSeconds(10) };
        var watchdog = TimeSpan.FromSeconds(2);   // pings every second at most; a loaded machine still meets 2 s
        using var host = Host(settings, Pipeline(store), systemd, watchdog);
        await host.StartAsync();
        Assert.True(await Eventually(() => systemd.Sent.Count(n => n.Line == "WATCHDOG=1") >= 4, TimeSpan.FromSeconds(20)));
        await host.StopAsync();
        var pings = systemd.Sent.Where(n => n.Line == "WATCHDOG=1").Select(n => n.At).ToList();
        for (int i = 1; i < pings.Count; i++)
            Assert.True(pings[i] - pings[i - 1] < watchdog, $"{(pings[i] - pings[i - 1]).TotalMilliseconds} ms between pings");
    }

    [Theory]
    [InlineData("30000000", null, 30_000.0)]
    [InlineData("30000000", "self", 30_000.0)]
    [InlineData("30000000", "1", null)]      // meant for another process
    [InlineData("0", null, null)]
    [InlineData(null, null, null)]
    [InlineData("soon", null, null)]
    public void The_watchdog_timeout_is_read_as_sd_watchdog_enabled_reads_it(string? usec, string? pid, double? milliseconds)
    {
        string self = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var env = new Dictionary<string, string?> { ["WATCHDOG_USEC"] = usec, ["WATCHDOG_PID"] = pid == "self" ? self : pid };
        Assert.Equal(milliseconds, DaemonHost.WatchdogTimeout(name => env.GetValueOrDefault(name))?.TotalMilliseconds);
    }

    [Fact]
    public void A_notification_that_cannot_be_sent_is_logged_and_the_capture_goes_on()
    {
        var store = new ListingStore(Path.Combine(_dir.Path, "store.txt"));
        var daemon = new CaptureDaemon(Settings(store.Spec), Pipeline(store), new DeviceSetWatcher(_tree.FileSystem, [_tree.Root]),
            _tree.FileSystem, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, new RecordingNotifier(() => 0, fail: true));
        daemon.Start();
        Assert.Equal(1, store.Writes);
        Assert.Equal("running", daemon.Status.State);
    }

    /// <summary>
    /// The package's notifier interface, recording what would reach <c>$NOTIFY_SOCKET</c> (the socket itself, a path
    /// and an abstract name, is exercised with the daemon process in CaptureEndToEndTests).
    /// </summary>
    private sealed class RecordingNotifier(Func<int> storeWrites, bool fail = false) : ISystemdNotifier
    {
        public sealed record Notification(string Line, int StoreWrites, DateTime At);
        private readonly List<Notification> _sent = [];

        public bool IsEnabled => true;

        public List<Notification> Sent
        {
            get { lock (_sent) return [.. _sent]; }
        }

        public void Notify(ServiceState state)
        {
            if (fail) throw new SocketException((int)SocketError.ConnectionRefused);
            lock (_sent) _sent.Add(new(state.ToString(), storeWrites(), DateTime.UtcNow));
        }
    }

    /// <summary>
    /// A store that writes the captured addresses, one a line, by atomic replace; its write can be held open (Gate)
    /// between writing the temporary file and renaming it over, where a torn write would show if there could be one.
    /// </summary>
    private sealed class ListingStore(string path) : IStoreTarget
    {
        public string Path { get; } = path;
        public string Spec => "file:" + Path;
        public SemaphoreSlim? Gate { get; set; }
        public Snapshot? Last { get; private set; }
        public volatile bool InsideWrite;
        private int _writes;
        public int Writes => Volatile.Read(ref _writes);

        public long Write(Snapshot snapshot)
        {
            byte[] text = Encoding.UTF8.GetBytes(string.Concat(snapshot.Devices.Select(d => d.Address + "\n")));
            string temp = Path + ".tmp";
            File.WriteAllBytes(temp, text);
            InsideWrite = true;
            Gate?.Wait();
            File.Move(temp, Path, overwrite: true);
            InsideWrite = false;
            Last = snapshot;
            Interlocked.Increment(ref _writes);
            return text.Length;
        }

        public List<string> ReadAddresses() =>
            File.Exists(Path) ? [.. File.ReadAllLines(Path)] : [];
    }
}
