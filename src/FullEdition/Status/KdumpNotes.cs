using System.IO.Abstractions;
using System.Text;
using Preconfig.Daemon.Fleet;

namespace Preconfig.FullEdition.Status;

/// <summary>
/// What the packaging's kdump scripts leave for <c>preconfig status</c> on Debian, as text lines: preconfig-kdump-refresh's
/// status line and preconfig-kdump-record's note about a capture kernel that wrote no report (see the constants).
/// </summary>
internal static class KdumpNotes
{
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

    /// <summary>preconfig-kdump-refresh's one line, "TIME RESULT: WHY": does kdump-tools' image carry this boot's handoff.</summary>
    public const string RefreshStatus = "/var/lib/preconfig/kdump-refresh.status";

    /// <summary>preconfig-kdump-record's note beside a dump when the capture kernel wrote no report (preinit crashed,
    /// timed out or was missing); shown when newer than the last report.</summary>
    public const string MissingName = "preconfig-preinit.missing";

    /// <summary>Both are read as small regular files only: a link, a FIFO or a device (size 0) or anything larger is not.</summary>
    private const int MaxBytes = 4096;
}
