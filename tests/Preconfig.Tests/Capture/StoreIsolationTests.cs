using Microsoft.Extensions.Logging;
using Preconfig.Tests.Fleet;

namespace Preconfig.Tests.Capture;

/// <summary>issue 24 items 3-4: each store fails alone; a devmem range is checked against /proc/iomem; a refusal is said once.</summary>
public sealed class StoreIsolationTests : IDisposable
{
    private readonly CaptureMachine _m = new();
    private readonly FileSystem _fs = new();

    public void Dispose() => _m.Dispose();

    private CaptureDaemon Daemon(IReadOnlyList<IStoreTarget> stores, ILogger? logger = null, TimeSpan? retry = null) => new(
        new DaemonSettings
        {
            Sources = ["sysfs:" + _m.Root], Stores = [.. stores.Select(s => s.Spec)], PollInterval = TimeSpan.FromMilliseconds(50),
            RetryInterval = retry ?? TimeSpan.FromMilliseconds(100), StatusFile = Path.Combine(_m.Dir.Path, "run", "status.json"),
            TextfileDirectory = Directory.CreateDirectory(Path.Combine(_m.Dir.Path, "metrics")).FullName,
            CrashDirectory = Path.Combine(_m.Dir.Path, "crash"),
        },
        new DaemonPipeline([new SysfsSource(_fs, _m.Root)], stores), new DeviceSetWatcher(_fs, [_m.Root]), _fs,
        logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);

    private IStoreTarget Target(string spec) => new HandoffStoreTarget(HandoffStore.Parse(spec, _fs), null);

    [Fact]
    public async Task A_devmem_slot_too_small_fails_alone_the_file_store_is_written_and_the_daemon_retries_it()
    {
        string mem = Path.Combine(_m.Dir.Path, "mem.bin"), file = Path.Combine(_m.Dir.Path, "handoff.pcfg");
        File.WriteAllBytes(mem, new byte[256]);
        // The issue's own reproduction: a 128-byte slot before a file store.
        var daemon = Daemon([Target($"devmem:{mem}@0+256"), Target("file:" + file)]);
        daemon.Start();

        Assert.Equal("running", daemon.Status.State);
        Assert.True(File.Exists(file));
        Assert.Equal(_m.Functions.Count, InputLoader.Load(file, _fs).Snapshot.Devices.Count);
        var devmem = daemon.Status.Stores[0];
        Assert.False(devmem.Ok);
        Assert.Equal("failed", devmem.Result);
        Assert.Contains("a slot holds 128", devmem.Error);
        Assert.Equal("written", daemon.Status.Stores[1].Result);
        var m = PromParser.Parse(File.ReadAllText(Path.Combine(_m.Dir.Path, "metrics", PrometheusTextfile.FileName)));
        Assert.Equal(1, m.One("preconfig_store_result", ("store", $"devmem:{mem}@0+256"), ("result", "failed")).Value);
        Assert.Equal(1, m.One("preconfig_stores_ok").Value);

        // Retried after the retry interval, with nothing else changed; the watch loop goes on through the errors.
        var first = devmem.LastAttemptAt;
        using var stop = new CancellationTokenSource();
        var watch = daemon.WatchAsync(stop.Token);
        var end = DateTime.UtcNow.AddSeconds(20);
        while (daemon.Status.Stores[0].LastAttemptAt == first && DateTime.UtcNow < end) await Task.Delay(50);
        Assert.NotEqual(first, daemon.Status.Stores[0].LastAttemptAt);
        Assert.False(watch.IsCompleted);
        await stop.CancelAsync();
        await watch;
        Assert.Equal("stopped", daemon.Status.State);
    }

    [Fact]
    public void Any_exception_from_one_store_leaves_the_others_written()
    {
        string file = Path.Combine(_m.Dir.Path, "handoff.pcfg");
        var daemon = Daemon([new Throwing("x:bug", new NotSupportedException("a bug")), Target("file:" + file)]);
        daemon.Start();
        Assert.Equal("failed", daemon.Status.Stores[0].Result);
        Assert.Equal("a bug", daemon.Status.Stores[0].Error);
        Assert.True(daemon.Status.Stores[1].Ok);
    }

    [Fact]
    public async Task A_refused_store_is_reported_once_and_never_retried_while_the_others_follow_device_changes()
    {
        var refused = new Throwing("devmem:/dev/mem@0x7f000000+1M", new StoreRefusedException("EPERM: kernel lockdown"));
        var logger = new CountingLogger();
        string file = Path.Combine(_m.Dir.Path, "handoff.pcfg");
        var daemon = Daemon([refused, Target("file:" + file)], logger);
        daemon.Start();
        Assert.Equal("refused", daemon.Status.Stores[0].Result);

        using var stop = new CancellationTokenSource();
        var watch = daemon.WatchAsync(stop.Token);
        await Task.Delay(600);                               // several retry intervals
        Directory.Delete(_m.Tree.DeviceDir(_m.Functions[^1].Address), recursive: true);   // and a re-capture
        var end = DateTime.UtcNow.AddSeconds(20);
        while (daemon.Status.Captures < 2 && DateTime.UtcNow < end) await Task.Delay(50);
        await Task.Delay(300);
        await stop.CancelAsync();
        await watch;

        Assert.Equal(2, daemon.Status.Captures);
        Assert.Equal(1, refused.Attempts);
        Assert.Equal(1, logger.Errors);
        Assert.Equal("refused", daemon.Status.Stores[0].Result);
        Assert.Equal(_m.Functions.Count - 1, InputLoader.Load(file, _fs).Snapshot.Devices.Count);
        var m = PromParser.Parse(File.ReadAllText(Path.Combine(_m.Dir.Path, "metrics", PrometheusTextfile.FileName)));
        Assert.Equal(1, m.One("preconfig_store_result", ("store", refused.Spec), ("result", "refused")).Value);
    }

    private sealed class Throwing(string spec, Exception error) : IStoreTarget
    {
        public string Spec => spec;
        public int Attempts;
        public long Write(Snapshot snapshot)
        {
            Attempts++;
            throw error;
        }
    }

    private sealed class CountingLogger : ILogger
    {
        public int Errors;
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel >= LogLevel.Error) Interlocked.Increment(ref Errors);
        }
    }
}
