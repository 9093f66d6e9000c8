using System.IO.Abstractions;
using System.Text.Json;

namespace Preconfig.Daemon.Fleet;

/// <summary>
/// The last capture-kernel run, as saved beside a crash dump: <c>preconfig-preinit.json</c> (preinit's report) in
/// a dump directory under the crash directory: kdump-tools' <c>/var/crash/&lt;YYYYMMDDHHMM&gt;/</c> or kdump-utils'
/// <c>/var/crash/&lt;ip&gt;-&lt;date&gt;/</c> (packaging/lib/preconfig-kdump-record puts it there).
/// </summary>
public sealed record CaptureKernelRun
{
    public const string RecordName = "preconfig-preinit.json";
    public const string DefaultCrashDirectory = "/var/crash";

    /// <summary>The dump directory holding the record.</summary>
    public required string Directory { get; init; }
    public required string Report { get; init; }
    /// <summary>When the record was written (its modification time, set in the capture kernel).</summary>
    public DateTimeOffset At { get; init; }
    public double? ElapsedMs { get; init; }
    public int Functions { get; init; }
    /// <summary>Functions per outcome (restored, skipped, failed, quiesced, ...), as the report says.</summary>
    public IReadOnlyDictionary<string, int> Outcomes { get; init; } = new Dictionary<string, int>();
    /// <summary>Error registers preinit recorded and cleared (every array whose name starts with "cleared").</summary>
    public int ClearedErrorRegisters { get; init; }
    /// <summary>Why the record could not be read, when it could not; the counts are then zero.</summary>
    public string? Error { get; init; }

    /// <summary>The newest record under <paramref name="crashDirectory"/> (one level of dump directories), or null.</summary>
    public static CaptureKernelRun? FindLatest(IFileSystem fs, string crashDirectory)
    {
        if (!fs.Directory.Exists(crashDirectory)) return null;
        IFileInfo? newest = null;
        IEnumerable<string> dirs;
        try { dirs = fs.Directory.EnumerateDirectories(crashDirectory).ToList(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
        foreach (var dir in dirs)
        {
            var info = fs.FileInfo.New(fs.Path.Combine(dir, RecordName));
            if (!info.Exists) continue;
            if (newest is null || info.LastWriteTimeUtc > newest.LastWriteTimeUtc
                || (info.LastWriteTimeUtc == newest.LastWriteTimeUtc && string.CompareOrdinal(info.FullName, newest.FullName) > 0))
                newest = info;
        }
        return newest is null ? null : Read(fs, newest.FullName);
    }

    /// <summary>Reads one record. A damaged one is returned with <see cref="Error"/> set, not thrown: a status view
    /// must still show the daemon's state.</summary>
    public static CaptureKernelRun Read(IFileSystem fs, string path)
    {
        var info = fs.FileInfo.New(path);
        var run = new CaptureKernelRun
        {
            Directory = fs.Path.GetDirectoryName(path) ?? "",
            Report = path,
            At = new DateTimeOffset(info.LastWriteTimeUtc, TimeSpan.Zero),
        };
        if (info.Length > MaxRecordBytes)
            return run with { Error = $"{path}: {info.Length} bytes, larger than {MaxRecordBytes}: not read" };
        try
        {
            using var doc = JsonDocument.Parse(fs.File.ReadAllBytes(path));
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return run with { Error = $"{path}: not a preinit report (not a JSON object)" };
            double? elapsed = root.TryGetProperty("elapsedMs", out var e) && e.ValueKind == JsonValueKind.Number ? e.GetDouble() : null;
            var outcomes = new SortedDictionary<string, int>(StringComparer.Ordinal);
            int functions = 0, cleared = CountCleared(root);
            if (root.TryGetProperty("devices", out var devices) && devices.ValueKind == JsonValueKind.Array)
            {
                foreach (var d in devices.EnumerateArray())
                {
                    if (d.ValueKind != JsonValueKind.Object) continue;
                    functions++;
                    string outcome = d.TryGetProperty("outcome", out var o) && o.ValueKind == JsonValueKind.String ? o.GetString()! : "unknown";
                    outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
                    cleared += CountCleared(d);
                }
            }
            else return run with { Error = $"{path}: not a preinit report (no \"devices\" array)" };
            return run with { ElapsedMs = elapsed, Functions = functions, Outcomes = outcomes, ClearedErrorRegisters = cleared };
        }
        catch (JsonException ex)
        {
            return run with { Error = $"{path}:{(ex.LineNumber ?? 0) + 1}: not JSON: {ex.Message}" };
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return run with { Error = $"{path}: {ex.Message}" };
        }
    }

    /// <summary>A report describes at most a few thousand functions; anything far larger is not one.</summary>
    public const long MaxRecordBytes = 64L << 20;

    private static int CountCleared(JsonElement obj)
    {
        int n = 0;
        foreach (var p in obj.EnumerateObject())
        {
            if (!p.Name.StartsWith("cleared", StringComparison.OrdinalIgnoreCase)) continue;
            if (p.Value.ValueKind == JsonValueKind.Array) n += p.Value.GetArrayLength();
            else if (p.Value.ValueKind == JsonValueKind.Object) n += p.Value.EnumerateObject().Count();
        }
        return n;
    }
}
