using System.IO.Abstractions;
using Preconfig.ConfigSpace.Native;

namespace Preconfig.Handoff.Stores;

/// <summary>
/// Replaces a file so that readers and a crash see the old content or the new, never half, and so that root
/// writing into a directory others can write (node_exporter's textfile directory, a world-writable spool) writes
/// only the file it means to: the temporary file has an unpredictable name and is created with O_CREAT|O_EXCL
/// (<see cref="FileMode.CreateNew"/>), which never follows a link planted under that name (open(2): "if pathname is
/// a symbolic link, open() fails"); the rename replaces a link planted at the final name instead of writing through
/// it; then the directory is fsynced so the rename itself survives a power loss.
/// </summary>
public static class AtomicFile
{
    /// <summary>Root only: files holding config space (device serial numbers the kernel shows only to CAP_SYS_ADMIN).</summary>
    public const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    /// <summary>For files meant to be read by others (node_exporter reads the metrics as its own user).</summary>
    public const UnixFileMode Public = Private | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    /// <summary>Directories we create for such files.</summary>
    public const UnixFileMode PrivateDirectory = Private | UnixFileMode.UserExecute;

    public static void Write(IFileSystem fs, string path, ReadOnlySpan<byte> bytes, UnixFileMode mode = Private)
    {
        string full = fs.Path.GetFullPath(path);
        string dir = fs.Path.GetDirectoryName(full) ?? "/";
        // A fresh name each time; it need not be unpredictable, because CreateNew (O_CREAT|O_EXCL) never opens what is
        // already there, a planted link included. Not RandomNumberGenerator: on Linux it loads OpenSSL, which the kdump
        // initramfs does not carry (the initramfs edition's capture aborted with "No usable version of libssl").
        Span<byte> salt = stackalloc byte[6];
        Random.Shared.NextBytes(salt);
        string temp = fs.Path.Combine(dir, $".{fs.Path.GetFileName(full)}.{Convert.ToHexStringLower(salt)}.tmp");
        bool created = false;
        try
        {
            using (var stream = fs.FileStream.New(temp, new FileStreamOptions
            {
                Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None,
                UnixCreateMode = OperatingSystem.IsWindows() ? null : mode,
            }))
            {
                created = true;
                stream.Write(bytes);
                HandoffStore.Fsync(stream);
            }
            fs.File.Move(temp, full, overwrite: true);
        }
        catch
        {
            try { if (created) fs.File.Delete(temp); } catch (IOException) { }
            throw;
        }
        if (fs is FileSystem) SafeFiles.SyncDirectory(dir);
    }

    /// <summary>Creates <paramref name="path"/> (and its parents) when missing; the last one created root-only.</summary>
    public static void CreatePrivateDirectory(IFileSystem fs, string path)
    {
        if (fs.Directory.Exists(path)) return;
        if (fs is FileSystem && !OperatingSystem.IsWindows())
        {
            string? parent = Path.GetDirectoryName(Path.GetFullPath(path));
            if (parent is not null) fs.Directory.CreateDirectory(parent);
            Directory.CreateDirectory(path, PrivateDirectory);
        }
        else fs.Directory.CreateDirectory(path);
    }
}
