using System.IO.Abstractions;

namespace Preconfig.Capture.Sources;

/// <summary>The running system a live capture is taken on: host name, kernel release, boot id (from /proc), now.</summary>
public static class LiveSystem
{
    public const string BootIdPath = "/proc/sys/kernel/random/boot_id";
    public const string OsReleasePath = "/proc/sys/kernel/osrelease";

    public static CaptureSystem Now(IFileSystem fs) =>
        new(Environment.MachineName, ReadLine(fs, OsReleasePath), ReadLine(fs, BootIdPath), DateTimeOffset.UtcNow);

    /// <summary>The first line of a /proc file, or "" when it cannot be read (a container without /proc).</summary>
    public static string ReadLine(IFileSystem fs, string path)
    {
        try { return fs.File.ReadAllText(path).Trim(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return ""; }
    }
}
