using System.IO.Abstractions;
using System.Text.Json;
using Preconfig.ConfigSpace.Native;

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

    /// <summary>
    /// The newest record under <paramref name="crashDirectory"/> (one level of dump directories), or null. The crash
    /// directory is often writable by every user (Ubuntu's apport keeps <c>/var/crash</c> at 1777), so only a record
    /// root could have written counts: a regular file (not a link, FIFO or device) owned by root (or this process's
    /// user), in a real directory (not a link) owned likewise. Anything else is passed over without being opened:
    /// a planted FIFO cannot block the daemon, a planted file cannot fake the last run.
    /// </summary>
    public static CaptureKernelRun? FindLatest(IFileSystem fs, string crashDirectory)
    {
        if (!fs.Directory.Exists(crashDirectory)) return null;
        List<string> dirs;
        try { dirs = [.. fs.Directory.EnumerateDirectories(crashDirectory)]; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
        string? newest = null;
        DateTime newestAt = default;
        foreach (var dir in dirs)
        {
            string path = fs.Path.Combine(dir, RecordName);
            if (Candidate(fs, dir, path) is not DateTime at) continue;
            if (newest is null || at > newestAt || (at == newestAt && string.CompareOrdinal(path, newest) > 0))
                (newest, newestAt) = (path, at);
        }
        return newest is null ? null : Read(fs, newest);
    }

    /// <summary>When <paramref name="path"/> was written, if it may be a record (see <see cref="FindLatest"/>); else null.</summary>
    private static DateTime? Candidate(IFileSystem fs, string dir, string path)
    {
        if (fs is not FileSystem)
        {
            // A test double has no owners, links or FIFOs: only existence and time.
            var info = fs.FileInfo.New(path);
            return info.Exists ? info.LastWriteTimeUtc : null;
        }
        if (SafeFiles.LinkFacts(dir) is not { IsDirectory: true } d || !Trusted(d.Uid)) return null;
        if (SafeFiles.LinkFacts(path) is not { IsRegular: true } f || !Trusted(f.Uid)) return null;
        return f.Modified.UtcDateTime;
    }

    /// <summary>Root wrote the record in the capture kernel; a test (or a non-root status reader's own) is ours.</summary>
    private static bool Trusted(uint uid) => uid == 0 || uid == SafeFiles.EffectiveUid();

    /// <summary>Reads one record. A damaged one is returned with <see cref="Error"/> set, not thrown: a status view
    /// must still show the daemon's state. The file is opened as <see cref="SafeFiles.ReadRegularFile"/> opens
    /// it (no link followed, never blocking, at most <see cref="MaxRecordBytes"/>), and must be owned by root.</summary>
    public static CaptureKernelRun Read(IFileSystem fs, string path)
    {
        var run = new CaptureKernelRun { Directory = fs.Path.GetDirectoryName(path) ?? "", Report = path };
        byte[] bytes;
        try
        {
            if (fs is FileSystem)
            {
                var (read, facts, dir) = SafeFiles.ReadRegularFile(run.Directory, fs.Path.GetFileName(path), MaxRecordBytes);
                run = run with { At = facts.Modified };
                if (!Trusted(facts.Uid) || !Trusted(dir.Uid))
                    return run with { Error = $"{path}: owned by uid {(Trusted(facts.Uid) ? dir.Uid : facts.Uid)}, not root: not trusted" };
                bytes = read;
            }
            else
            {
                var info = fs.FileInfo.New(path);
                run = run with { At = new DateTimeOffset(info.LastWriteTimeUtc, TimeSpan.Zero) };
                if (info.Length > MaxRecordBytes)
                    return run with { Error = $"{path}: {info.Length} bytes, larger than {MaxRecordBytes}: not read" };
                bytes = fs.File.ReadAllBytes(path);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return run with { Error = ex.Message.StartsWith(path, StringComparison.Ordinal) ? ex.Message : $"{path}: {ex.Message}" };
        }
        return Parse(run, bytes);
    }

    private static CaptureKernelRun Parse(CaptureKernelRun run, byte[] bytes)
    {
        string path = run.Report;
        try
        {
            using var doc = JsonDocument.Parse(bytes);
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
                    string outcome = d.TryGetProperty("outcome", out var o) && o.ValueKind == JsonValueKind.String ? o.GetString()! : Unknown;
                    // Label values must stay a small fixed set (a Prometheus series per value): others are "other".
                    if (!KnownOutcomes.Contains(outcome)) outcome = Other;
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
    }

    /// <summary>preinit's outcomes (PreinitReport.Restored ...), then what stands for a missing or foreign one.</summary>
    public static readonly string[] KnownOutcomes = ["restored", "quiesced", "skipped", "failed", "left-to-kernel", Unknown, Other];
    public const string Unknown = "unknown", Other = "other";

    /// <summary>A report describes at most a few thousand functions; anything far larger is not one.</summary>
    public const long MaxRecordBytes = 16L << 20;

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
