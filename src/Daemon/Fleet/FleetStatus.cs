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
    public required string StatusFile { get; init; }
    /// <summary>Null when there is no status file (the daemon did not run this boot).</summary>
    public DaemonView? Daemon { get; init; }
    public SnapshotView? Snapshot { get; init; }
    public IReadOnlyList<StoreStatus> Stores { get; init; } = [];
    public CaptureKernelRun? LastCaptureKernelRun { get; init; }
    /// <summary>When these figures were taken (ages are relative to it).</summary>
    public DateTimeOffset At { get; init; }

    public sealed record DaemonView(string State, int Pid, bool Running, DateTimeOffset StartedAt);

    public sealed record SnapshotView
    {
        public DateTimeOffset? CapturedAt { get; init; }
        public double? AgeSeconds { get; init; }
        public int Functions { get; init; }
        public int Captures { get; init; }
        public double? CaptureMs { get; init; }
        public bool Signed { get; init; }
        public IReadOnlyList<string> Sources { get; init; } = [];
        public IReadOnlyList<string> Warnings { get; init; } = [];
    }

    /// <param name="status">The daemon's status, or null when there is none.</param>
    /// <param name="processAlive">Whether the daemon's process still exists (a killed daemon leaves "running").</param>
    public static FleetStatus From(string statusFile, DaemonStatus? status, bool processAlive, CaptureKernelRun? lastRun, DateTimeOffset now)
    {
        if (status is null) return new FleetStatus { StatusFile = statusFile, LastCaptureKernelRun = lastRun, At = now };
        return new FleetStatus
        {
            StatusFile = statusFile,
            Daemon = new DaemonView(status.State, status.Pid, status.State == "running" && processAlive, status.StartedAt),
            Snapshot = new SnapshotView
            {
                CapturedAt = status.LastCaptureAt,
                AgeSeconds = status.LastCaptureAt is { } t ? Math.Round(Math.Max(0, (now - t).TotalSeconds), 3) : null,
                Functions = status.DeviceCount,
                Captures = status.Captures,
                CaptureMs = status.LastCaptureMs,
                Signed = status.Signed,
                Sources = [.. status.Sources],
                Warnings = [.. status.Warnings],
            },
            Stores = [.. status.Stores.Select(Copy)],
            LastCaptureKernelRun = lastRun,
            At = now,
        };
    }

    /// <summary>The same figures at a later moment (only the ages move).</summary>
    public FleetStatus Later(DateTimeOffset now) => this with
    {
        At = now,
        Snapshot = Snapshot is { CapturedAt: { } t } s ? s with { AgeSeconds = Math.Round(Math.Max(0, (now - t).TotalSeconds), 3) } : Snapshot,
    };

    public string ToJson() => JsonSerializer.Serialize(this, FleetStatusJsonContext.Default.FleetStatus);

    private static StoreStatus Copy(StoreStatus s) => new()
    {
        Store = s.Store, Ok = s.Ok, Result = s.Result, Bytes = s.Bytes,
        LastWriteAt = s.LastWriteAt, LastAttemptAt = s.LastAttemptAt, Error = s.Error,
    };
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(FleetStatus))]
internal sealed partial class FleetStatusJsonContext : JsonSerializerContext;
