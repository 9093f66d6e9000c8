using System.IO.Abstractions;
using Preconfig.ConfigCapture.Earlydump;
using Preconfig.ConfigCapture.Merge;
using Preconfig.ConfigCapture.Sysfs;
using Preconfig.Handoff.Model;

namespace Preconfig.ConfigCapture.Daemon;

/// <summary>The daemon's pipeline from its settings: sources by spec, the snapshot's where-and-when, the stores.</summary>
public static class DaemonPipelines
{
    public static DaemonPipeline Create(DaemonSettings settings, IFileSystem fs, Func<string, IStoreTarget> store,
        Func<string, SourceCapture>? otherSource = null)
    {
        var stores = settings.Stores.Select(store).ToList();
        return new DaemonPipeline(
            () => [.. settings.Sources.Select(s => CaptureOne(s, fs, otherSource))],
            (devices, sources) => SnapshotInfo.Create(fs, devices, sources),
            stores);
    }

    /// <summary>The roots of the sysfs sources: what the daemon polls for device changes.</summary>
    public static IReadOnlyList<string> WatchedRoots(IEnumerable<string> sources) =>
        [.. sources.Select(s => s == "sysfs" ? SysfsSource.DefaultRoot : s.StartsWith("sysfs:", StringComparison.Ordinal) ? s["sysfs:".Length..] : null)
            .Where(r => r is not null).Select(r => r!).Distinct()];

    public static SourceCapture CaptureOne(string spec, IFileSystem fs, Func<string, SourceCapture>? otherSource = null)
    {
        if (spec == "sysfs") return SysfsSource.Capture(fs);
        if (spec.StartsWith("sysfs:", StringComparison.Ordinal)) return SysfsSource.Capture(fs, spec["sysfs:".Length..], spec);
        if (spec.StartsWith("earlydump:", StringComparison.Ordinal)) return EarlydumpSource.Capture(spec["earlydump:".Length..], fs);
        return otherSource?.Invoke(spec) ?? throw new FormatException($"source '{spec}' is not one the daemon reads (sysfs[:ROOT], earlydump:FILE|kmsg)");
    }
}

/// <summary>Where and when a snapshot was taken: host name, kernel release, boot id, tool version.</summary>
public static class SnapshotInfo
{
    public const string BootIdPath = "/proc/sys/kernel/random/boot_id";
    public const string OsReleasePath = "/proc/sys/kernel/osrelease";

    public static Snapshot Create(IFileSystem fs, IReadOnlyList<DeviceRecord> devices, IReadOnlyList<string> sources) => new()
    {
        CapturedAt = DateTimeOffset.UtcNow,
        HostName = Environment.MachineName,
        KernelRelease = ReadLine(fs, OsReleasePath),
        BootId = ReadLine(fs, BootIdPath),
        ToolVersion = typeof(SnapshotInfo).Assembly.GetName().Version?.ToString() ?? "",
        Sources = sources,
        Devices = devices,
    };

    public static string ReadLine(IFileSystem fs, string path)
    {
        try { return fs.File.ReadAllText(path).Trim(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return ""; }
    }
}
