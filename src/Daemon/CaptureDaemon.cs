using System.IO.Abstractions;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using Preconfig.Capture.Merge;
using Preconfig.Capture.Sources;
using Preconfig.Handoff.Model;
using Preconfig.Handoff.Stores;

namespace Preconfig.Daemon;

/// <summary>What the daemon needs from the rest of preconfig: read the sources, build a snapshot, the stores.</summary>
public sealed record DaemonPipeline(
    IReadOnlyList<ISnapshotSource> Sources,
    IReadOnlyList<IStoreTarget> Stores);

/// <summary>
/// The boot-time service's work, apart from any host so tests drive it directly: <see cref="Start"/> captures and
/// writes every store (systemd's READY=1 follows once it has returned: the host's SystemdLifetime sends it when the
/// application has started), then <see cref="WatchAsync"/> polls the device set and re-captures when it changes,
/// pinging systemd's watchdog when the unit asks for one. A re-capture never makes a record less pristine: the
/// previous snapshot is merged in as the first source, so a function captured before its driver bound keeps those
/// bytes (unless it now holds another device). Stores are rewritten only when the content changed, or when their
/// last write failed (after the retry interval). Store writes are not cancellable: a stop request waits for the
/// write in progress, so no store is left half written by us.
/// </summary>
/// <param name="systemd">systemd's notification socket (STATUS and WATCHDOG lines), or null when not run by systemd.</param>
/// <param name="watchdog">The unit's WatchdogSec (from <c>$WATCHDOG_USEC</c>), or null when it sets none.</param>
public sealed class CaptureDaemon(
    DaemonSettings settings,
    DaemonPipeline pipeline,
    DeviceSetWatcher watcher,
    IFileSystem fileSystem,
    ILogger logger,
    ISystemdNotifier? systemd = null,
    TimeSpan? watchdog = null,
    TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly DaemonStatus _status = new()
    {
        Pid = Environment.ProcessId,
        Signed = settings.KeyFile is not null,
        Sources = [.. settings.Sources],
        Stores = [.. pipeline.Stores.Select(s => new StoreStatus { Store = s.Spec, Result = "pending" })],
    };
    private readonly Dictionary<string, string> _writtenHash = [];
    private Snapshot? _last;
    private string? _lastHash;
    private bool _captureFailed;
    private readonly Fleet.PrometheusTextfile? _textfile = settings.TextfileDirectory is null ? null
        : new(fileSystem, settings.TextfileDirectory, settings.StatusFile, settings.CrashDirectory, logger, time ?? TimeProvider.System);

    public DaemonStatus Status => _status;

    /// <summary>The first capture and store write. Throws when it fails: the service then does not start.</summary>
    public void Start()
    {
        _status.StartedAt = _time.GetUtcNow();
        foreach (var note in settings.Notes) logger.LogWarning("{Note}", note);
        SaveStatus();
        try
        {
            CaptureAndWrite("start");
        }
        catch
        {
            _status.State = "stopped";
            SaveStatus();
            throw;
        }
        _status.State = "running";
        SaveStatus();
        Notify("STATUS=" + Summary());
        logger.LogInformation("Ready: {Summary}", Summary());
    }

    /// <summary>Watches the device set until <paramref name="stopping"/> is cancelled, then records the stop.</summary>
    public async Task WatchAsync(CancellationToken stopping)
    {
        // systemd wants a keep-alive at least every WatchdogSec; half of it, as sd_watchdog_enabled(3) advises.
        var ping = watchdog / 2;
        var delay = ping is { } p && p < settings.PollInterval ? p : settings.PollInterval;
        try
        {
            DateTimeOffset lastRetry = _time.GetUtcNow(), lastPing = DateTimeOffset.MinValue;
            while (!stopping.IsCancellationRequested)
            {
                // Ping now unless the next turn (one delay later) still comes within the ping interval.
                if (ping is { } every && _time.GetUtcNow() - lastPing + delay > every)
                {
                    Notify("WATCHDOG=1");
                    lastPing = _time.GetUtcNow();
                }
                try { await Task.Delay(delay, _time, stopping).ConfigureAwait(false); }
                catch (OperationCanceledException) { break; }

                bool changed = watcher.Changed(out int added, out int removed);
                if (changed || _captureFailed)
                {
                    if (changed) logger.LogInformation("Device set changed ({Added} added, {Removed} removed); capturing again", added, removed);
                    try
                    {
                        CaptureAndWrite(changed ? "device change" : "retry");
                        _captureFailed = false;
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or FormatException)
                    {
                        // Keep the stores as they are (the last good capture) and try again at the next poll.
                        _captureFailed = true;
                        logger.LogError("Capture failed, keeping the last snapshot: {Error}", e.Message);
                    }
                    Notify("STATUS=" + Summary());
                }
                else if (_status.Stores.Any(Retryable) && _time.GetUtcNow() - lastRetry >= settings.RetryInterval)
                {
                    lastRetry = _time.GetUtcNow();
                    WriteStores();
                    Notify("STATUS=" + Summary());
                }
            }
        }
        finally
        {
            _status.State = "stopped";
            SaveStatus();
            Notify("STATUS=stopped; " + Summary());
            logger.LogInformation("Stopped");
        }
    }

    /// <summary>One capture: sources, merge over the previous snapshot, and the stores whose content is out of date.</summary>
    internal void CaptureAndWrite(string why)
    {
        // List the device set before reading it: a change during the capture is then seen at the next poll.
        watcher.Reset();
        long started = _time.GetTimestamp();
        var captures = pipeline.Sources.Select(s => s.Capture()).ToList();
        var fresh = SnapshotSources.Merge([.. pipeline.Sources.Select(s => s.Description)], captures, out var warnings);
        // Carry the earlier bytes over: a function captured before its driver bound keeps them.
        _last = _last is null ? fresh : CarryOver(_last, fresh);
        foreach (var w in warnings) logger.LogWarning("{Warning}", w);
        string hash = ContentHash(_last.Devices);
        _lastHash = hash;
        _status.LastCaptureAt = _time.GetUtcNow();
        _status.Captures++;
        _status.DeviceCount = _last.Devices.Count;
        _status.LastCaptureMs = Math.Round(_time.GetElapsedTime(started).TotalMilliseconds, 3);
        _status.Warnings = [.. settings.Notes, .. warnings];
        logger.LogInformation("Captured {Count} functions ({Why})", _last.Devices.Count, why);
        WriteStores();
    }

    /// <summary>Writes every store whose content is not the current one. Runs to the end whatever the stop token says.</summary>
    private void WriteStores()
    {
        if (_last is null || _lastHash is null) return;
        for (int i = 0; i < pipeline.Stores.Count; i++)
        {
            var store = pipeline.Stores[i];
            var st = _status.Stores[i];
            var now = _time.GetUtcNow();
            if (st.Result == Refused) continue;
            if (st.Ok && _writtenHash.TryGetValue(store.Spec, out var h) && h == _lastHash)
            {
                st.Result = "unchanged";
                continue;
            }
            st.LastAttemptAt = now;
            try
            {
                long bytes = store.Write(_last);
                _writtenHash[store.Spec] = _lastHash;
                st.Ok = true;
                st.Result = "written";
                st.Bytes = bytes;
                st.LastWriteAt = now;
                st.Error = null;
                logger.LogInformation("Wrote {Store} ({Bytes} bytes)", store.Spec, bytes);
            }
            catch (StoreRefusedException e)
            {
                // Said once: retrying cannot help until the configuration changes (a restart reads it again).
                st.Ok = false;
                st.Result = Refused;
                st.Error = e.Message;
                logger.LogError("{Store} refused, not retried until the configuration changes: {Error}", store.Spec, e.Message);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // One store's error (a slot too small, a full disk, a bug) is that store's alone: the others are
                // still written, and it is tried again after the retry interval. The daemon never exits for it.
                st.Ok = false;
                st.Result = "failed";
                st.Error = e.Message;
                logger.LogError("Writing {Store} failed: {Error}", store.Spec, e.Message);
            }
        }
        SaveStatus();
    }

    /// <summary>A store's result when it cannot be written as configured (<see cref="StoreRefusedException"/>).</summary>
    public const string Refused = "refused";

    private static bool Retryable(StoreStatus s) => !s.Ok && s.Result != Refused;

    /// <summary>
    /// Merges the previous snapshot under the fresh one, restricted to functions still present with the same
    /// identity: removed functions drop out, a replaced card is taken afresh, the rest keep their earlier (at least as
    /// pristine) bytes. Driver, reset methods and resources are always the fresh ones: they describe the function now.
    /// </summary>
    private static Snapshot CarryOver(Snapshot previous, Snapshot fresh)
    {
        var now = fresh.Devices.ToDictionary(d => d.Address);
        var kept = previous.Devices.Where(d => now.TryGetValue(d.Address, out var n)
            && n.VendorId == d.VendorId && n.DeviceId == d.DeviceId && n.ClassCode == d.ClassCode && n.HeaderType == d.HeaderType).ToList();
        var merged = SourceMerger.Merge([new SourceCapture(kept, []), new SourceCapture(fresh.Devices, [])]);
        var devices = merged.Devices.Select(d =>
        {
            var n = now[d.Address];
            return new DeviceRecord
            {
                Address = d.Address, Config = d.Config, Origins = d.Origins, Truncated = d.Truncated,
                Driver = n.Driver, ResetMethods = n.ResetMethods, Resources = n.Resources,
            };
        }).ToList();
        return new Snapshot
        {
            CapturedAt = fresh.CapturedAt, HostName = fresh.HostName, KernelRelease = fresh.KernelRelease, BootId = fresh.BootId,
            ToolVersion = fresh.ToolVersion, Sources = fresh.Sources, Devices = devices,
        };
    }

    /// <summary>What makes two snapshots "the same content": the devices, not when or by whom they were taken.</summary>
    internal static string ContentHash(IReadOnlyList<DeviceRecord> devices)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var d in devices)
        {
            hash.AppendData(Encoding.UTF8.GetBytes($"{d.Address}|{d.Driver}|{string.Join(',', d.ResetMethods)}|{d.Truncated}|"));
            foreach (var r in d.Resources) hash.AppendData(Encoding.UTF8.GetBytes($"{r.Index}:{r.Start:x}-{r.End:x}/{r.Flags:x};"));
            hash.AppendData(d.Config);
        }
        return Convert.ToHexString(hash.GetHashAndReset());
    }

    private string Summary()
    {
        int ok = _status.Stores.Count(s => s.Ok);
        return $"{_status.DeviceCount} functions captured at {_status.LastCaptureAt:HH:mm:ss}; {ok}/{_status.Stores.Count} stores up to date";
    }

    private void SaveStatus()
    {
        try { DaemonStatusFile.Write(fileSystem, settings.StatusFile, _status); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("Cannot write the status file {Path}: {Error}", settings.StatusFile, e.Message);
        }
        _textfile?.Update(_status);
    }

    /// <summary>One line to systemd. A lost notification must not stop a capture: failures are logged, not thrown.</summary>
    private void Notify(string assignment)
    {
        if (systemd is not { IsEnabled: true }) return;
        try
        {
            // A STATUS value is one line: a newline would start another assignment.
            systemd.Notify(new ServiceState(assignment.Replace('\n', ' ')));
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
        {
            logger.LogWarning("sd_notify {Assignment} failed: {Error}", assignment.Split('=')[0], e.Message);
        }
    }
}
