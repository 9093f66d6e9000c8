using System.IO.Abstractions;
using System.Text;
using Preconfig.ConfigCapture.Fleet;

namespace Preconfig.Cli.Status;

/// <summary>
/// What the packaging's kdump scripts leave for <c>preconfig status</c> (Debian, kdump-tools), shown as text lines:
/// <list type="bullet">
/// <item><c>/var/lib/preconfig/kdump-refresh.status</c>: one line, "TIME RESULT: WHY", from preconfig-kdump-refresh
/// (whether kdump-tools' image carries this boot's handoff: embedded, current, no-handoff, failed, skipped).</item>
/// <item><c>preconfig-preinit.missing</c> beside a dump (preconfig-kdump-record): why a capture kernel left no report
/// (preinit crashed, timed out, or was missing), when it is newer than the last report.</item>
/// </list>
/// Both are read as small regular files only: a link, a FIFO or a device (size 0) or anything over 4 KiB is ignored.
/// </summary>
internal static class KdumpNotes
{
    public const string RefreshStatus = "/var/lib/preconfig/kdump-refresh.status";
    public const string MissingName = "preconfig-preinit.missing";
    private const int MaxBytes = 4096;

    public static string Text(IFileSystem fs, string refreshStatus, string crashDirectory, CaptureKernelRun? lastRun)
    {
        var sb = new StringBuilder();
        if (FirstLine(fs, refreshStatus) is { } line) sb.Append("kdump initramfs: ").Append(line).Append('\n');
        if (NewestMissing(fs, crashDirectory) is { } note && (lastRun is null || note.At > lastRun.At))
            sb.Append("last capture-kernel run: ").Append(note.Dir).Append(": no preinit report: ").Append(note.Text).Append('\n');
        return sb.ToString();
    }

    /// <summary>The first line of a small regular file, or null.</summary>
    internal static string? FirstLine(IFileSystem fs, string path)
    {
        var info = fs.FileInfo.New(path);
        if (!info.Exists || info.LinkTarget is not null || info.Length is 0 or > MaxBytes) return null;
        try
        {
            string text = fs.File.ReadAllText(path);
            int nl = text.IndexOf('\n');
            return (nl >= 0 ? text[..nl] : text).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    private static (string Dir, string Text, DateTimeOffset At)? NewestMissing(IFileSystem fs, string crashDirectory)
    {
        if (!fs.Directory.Exists(crashDirectory)) return null;
        (string, string, DateTimeOffset)? newest = null;
        try
        {
            foreach (var dir in fs.Directory.EnumerateDirectories(crashDirectory))
            {
                string path = fs.Path.Combine(dir, MissingName);
                if (FirstLine(fs, path) is not { } text) continue;
                var at = new DateTimeOffset(fs.File.GetLastWriteTimeUtc(path), TimeSpan.Zero);
                if (newest is null || at > newest.Value.Item3) newest = (dir, text, at);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
        return newest;
    }
}
