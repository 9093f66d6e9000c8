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
public sealed class PrometheusTextfile : IDisposable
{
    public const string FileName = "preconfig.prom";
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(60);

    private readonly IFileSystem _fs;
    private readonly string _directory;
    private readonly string _statusFile;
    private readonly string _crashDirectory;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly ITimer _timer;
    private FleetStatus? _last;
    private CaptureKernelRun? _lastRun;
    private bool _runRead;
    private bool _failing;

    public PrometheusTextfile(IFileSystem fs, string directory, string statusFile, string crashDirectory, ILogger logger, TimeProvider time)
    {
        _fs = fs;
        _directory = directory;
        _statusFile = statusFile;
        _crashDirectory = crashDirectory;
        _logger = logger;
        _time = time;
        _timer = time.CreateTimer(_ => Refresh(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public string Path => _fs.Path.Combine(_directory, FileName);

    /// <summary>The daemon's status changed: write it now (the daemon's own process is alive by definition).</summary>
    public void Update(DaemonStatus status)
    {
        lock (_lock)
        {
            if (!_runRead)
            {
                // The last capture-kernel run does not change while this system runs: read it once.
                _lastRun = CaptureKernelRun.FindLatest(_fs, _crashDirectory);
                _runRead = true;
            }
            _last = FleetStatus.From(_statusFile, status, processAlive: true, _lastRun, _time.GetUtcNow());
            Write(_last);
            bool stopped = status.State == "stopped";
            _timer.Change(stopped ? Timeout.InfiniteTimeSpan : RefreshInterval, stopped ? Timeout.InfiniteTimeSpan : RefreshInterval);
        }
    }

    private void Refresh()
    {
        lock (_lock)
        {
            if (_last is not null) Write(_last = _last.Later(_time.GetUtcNow()));
        }
    }

    private void Write(FleetStatus status)
    {
        if (!_fs.Directory.Exists(_directory)) return;
        try
        {
            // Often the prometheus user's directory, or world-writable: never write through a link planted there.
            AtomicFile.Write(_fs, Path, Encoding.UTF8.GetBytes(PrometheusText.Format(status)), AtomicFile.Public);
            _failing = false;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (!_failing) _logger.LogWarning("Cannot write the metrics file {Path}: {Error}", Path, e.Message);
            _failing = true;
        }
    }

    public void Dispose() => _timer.Dispose();
}
