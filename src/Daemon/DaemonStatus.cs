using System.IO.Abstractions;
using System.Text.Json;
using System.Text.Json.Serialization;
using Preconfig.Handoff.Stores;

namespace Preconfig.Daemon;

/// <summary>
/// The daemon's state file (default <c>/run/preconfig/status.json</c>), rewritten atomically after every capture and
/// store write, read by <c>preconfig status</c>:
/// <code>
/// { "pid": 812, "state": "running", "startedAt": "…", "lastCaptureAt": "…", "captures": 3, "deviceCount": 41,
///   "lastCaptureMs": 75.2, "signed": true, "sources": ["sysfs"], "warnings": ["…"],
///   "stores": [{ "store": "file:/var/lib/preconfig/handoff.pcfg", "ok": true, "result": "written", "bytes": 5120,
///                "lastWriteAt": "…", "lastAttemptAt": "…", "error": null }] }
/// </code>
/// <c>state</c> is <c>starting</c>, <c>running</c> or <c>stopped</c>; a store's <c>result</c> is <c>written</c>,
/// <c>unchanged</c> (content equal to what it holds, not rewritten) or <c>failed</c> (then <c>error</c> says why).
/// The fleet document (<see cref="Fleet.FleetStatus"/>) is a view of a copy of this, not a second model.
/// </summary>
public sealed record DaemonStatus
{
    public int Pid { get; set; }
    public string State { get; set; } = "starting";
    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset? LastCaptureAt { get; set; }
    public int Captures { get; set; }
    public int DeviceCount { get; set; }
    /// <summary>How long the last capture (sources read and merged) took.</summary>
    public double? LastCaptureMs { get; set; }
    /// <summary>Whether the stores are signed (a key file is configured).</summary>
    public bool Signed { get; set; }
    public List<string> Sources { get; set; } = [];
    public List<string> Warnings { get; set; } = [];
    public List<StoreStatus> Stores { get; set; } = [];

    /// <summary>A copy that the daemon's later changes to this one (it keeps updating its own) do not reach.</summary>
    public DaemonStatus Copy() => this with { Sources = [.. Sources], Warnings = [.. Warnings], Stores = [.. Stores.Select(s => s with { })] };
}

public sealed record StoreStatus
{
    public string Store { get; set; } = "";
    public bool Ok { get; set; }
    public string Result { get; set; } = "";
    public long Bytes { get; set; }
    public DateTimeOffset? LastWriteAt { get; set; }
    public DateTimeOffset? LastAttemptAt { get; set; }
    public string? Error { get; set; }
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(DaemonStatus))]
internal sealed partial class DaemonStatusJsonContext : JsonSerializerContext;

public static class DaemonStatusFile
{
    /// <summary>Writes to a temporary file beside <paramref name="path"/> and renames it over (<see cref="AtomicFile"/>): readers never see half a file.</summary>
    public static void Write(IFileSystem fs, string path, DaemonStatus status)
    {
        // Its directory (default /run/preconfig) also holds the early snapshot: made root-only when we make it.
        string? dir = fs.Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(dir)) AtomicFile.CreatePrivateDirectory(fs, dir);
        AtomicFile.Write(fs, path, JsonSerializer.SerializeToUtf8Bytes(status, DaemonStatusJsonContext.Default.DaemonStatus), AtomicFile.Public);
    }

    public static DaemonStatus Read(IFileSystem fs, string path)
    {
        byte[] bytes;
        try { bytes = fs.File.ReadAllBytes(path); }
        catch (FileNotFoundException) { throw new FileNotFoundException($"{path}: no status file (is the daemon running? see --status-file)", path); }
        catch (DirectoryNotFoundException) { throw new FileNotFoundException($"{path}: no status file (is the daemon running? see --status-file)", path); }
        try
        {
            return JsonSerializer.Deserialize(bytes, DaemonStatusJsonContext.Default.DaemonStatus)
                ?? throw new InvalidDataException($"{path}: empty status file");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}:{(e.LineNumber ?? 0) + 1}: not a preconfig status file: {e.Message}", e);
        }
    }
}
