using System.Text.Json;
using System.Text.Json.Serialization;
using Preconfig.Daemon;

namespace Preconfig.Daemon.Fleet;

/// <summary>
/// "Is this host's kdump protected by a current snapshot?" in one document: the daemon's status, the snapshot's age,
/// each store, whether the handoff is signed, and the last capture-kernel run. <c>preconfig status --format json</c>
/// prints it; <see cref="PrometheusText"/> renders the same facts for node_exporter's textfile collector.
/// </summary>
public sealed record FleetStatus
{
    /// <summary>A copy of the daemon's status (null when there is none): every figure below is read from it.</summary>
    private readonly DaemonStatus? _status;
    private readonly bool _processAlive;

    private FleetStatus(DaemonStatus? status, bool processAlive) => (_status, _processAlive) = (status?.Copy(), processAlive);

    public required string StatusFile { get; init; }
    /// <summary>Null when there is no status file (the daemon did not run this boot).</summary>
    public DaemonView? Daemon => _status is { } s ? new(s.State, s.Pid, s.State == "running" && _processAlive, s.StartedAt) : null;
    public SnapshotView? Snapshot => _status is { } s ? new(s, At) : null;
    public IReadOnlyList<StoreStatus> Stores => _status?.Stores ?? [];
    public CaptureKernelRun? LastCaptureKernelRun { get; init; }
    /// <summary>When these figures were taken (ages are relative to it).</summary>
    public DateTimeOffset At { get; init; }

    public sealed record DaemonView(string State, int Pid, bool Running, DateTimeOffset StartedAt);

    /// <summary>The status file's capture figures under the names the fleet document gives them (docs/cli.md), and
    /// the snapshot's age at <see cref="At"/>.</summary>
    public sealed class SnapshotView
    {
        private readonly DaemonStatus _status;
        private readonly DateTimeOffset _at;

        internal SnapshotView(DaemonStatus status, DateTimeOffset at) => (_status, _at) = (status, at);

        public DateTimeOffset? CapturedAt => _status.LastCaptureAt;
        public double? AgeSeconds => _status.LastCaptureAt is { } t ? Math.Round(Math.Max(0, (_at - t).TotalSeconds), 3) : null;
        public int Functions => _status.DeviceCount;
        public int Captures => _status.Captures;
        public double? CaptureMs => _status.LastCaptureMs;
        public bool Signed => _status.Signed;
        public IReadOnlyList<string> Sources => _status.Sources;
        public IReadOnlyList<string> Warnings => _status.Warnings;
    }

    /// <param name="status">The daemon's status, or null when there is none; copied, so its later changes do not reach this.</param>
    /// <param name="processAlive">Whether the daemon's process still exists (a killed daemon leaves "running").</param>
    public static FleetStatus From(string statusFile, DaemonStatus? status, bool processAlive, CaptureKernelRun? lastRun, DateTimeOffset now) =>
        new(status, processAlive) { StatusFile = statusFile, LastCaptureKernelRun = lastRun, At = now };

    /// <summary>The same figures at a later moment (only the ages move).</summary>
    public FleetStatus Later(DateTimeOffset now) => this with { At = now };

    public string ToJson() => JsonSerializer.Serialize(this, FleetStatusJsonContext.Default.FleetStatus);
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(FleetStatus))]
internal sealed partial class FleetStatusJsonContext : JsonSerializerContext;
