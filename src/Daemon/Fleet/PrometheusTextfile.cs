using System.IO.Abstractions;
using Microsoft.Extensions.Logging;
using System.Text;
using Preconfig.Daemon;
using Preconfig.Handoff.Stores;

namespace Preconfig.Daemon.Fleet;

/// <summary>
/// Keeps <c>DIR/preconfig.prom</c> current for node_exporter's textfile collector (<c>textfileDirectory</c> in the
/// daemon's configuration): rewritten, atomically (<see cref="AtomicFile"/>: a temporary file under an unpredictable name, created without following links, renamed over), whenever the daemon's status
/// changes, and once a minute in between so the snapshot's age stays true. A directory that does not exist (no
/// node_exporter here) is skipped quietly; other write failures are logged once until a write works again.
/// </summary>
public sealed class PrometheusTextfile(IFileSystem fs, string directory, string statusFile, string crashDirectory, ILogger logger, TimeProvider time) : IDisposable
{
    public const string FileName = "preconfig.prom";
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(60);

    private readonly Lock _lock = new();
    // Made at the first update: there is nothing to refresh before it.
    private ITimer? _timer;
    private FleetStatus? _last;
    private CaptureKernelRun? _lastRun;
    private bool _runRead;
    private bool _failing;

    public string Path => fs.Path.Combine(directory, FileName);

    /// <summary>The daemon's status changed: write it now (the daemon's own process is alive by definition).</summary>
    public void Update(DaemonStatus status)
    {
        lock (_lock)
        {
            if (!_runRead)
            {
                // The last capture-kernel run does not change while this system runs: read it once.
                _lastRun = CaptureKernelRun.FindLatest(fs, crashDirectory);
                _runRead = true;
            }
            _last = FleetStatus.From(statusFile, status, processAlive: true, _lastRun, time.GetUtcNow());
            Write(_last);
            bool stopped = status.State == "stopped";
            _timer ??= time.CreateTimer(_ => Refresh(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _timer.Change(stopped ? Timeout.InfiniteTimeSpan : RefreshInterval, stopped ? Timeout.InfiniteTimeSpan : RefreshInterval);
        }
    }

    private void Refresh()
    {
        lock (_lock)
        {
            if (_last is not null) Write(_last = _last.Later(time.GetUtcNow()));
        }
    }

    private void Write(FleetStatus status)
    {
        if (!fs.Directory.Exists(directory)) return;
        try
        {
            // Often the prometheus user's directory, or world-writable: never write through a link planted there.
            AtomicFile.Write(fs, Path, Encoding.UTF8.GetBytes(PrometheusText.Format(status)), AtomicFile.Public);
            _failing = false;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (!_failing) logger.LogWarning("Cannot write the metrics file {Path}: {Error}", Path, e.Message);
            _failing = true;
        }
    }

    public void Dispose()
    {
        lock (_lock) _timer?.Dispose();
    }
}
