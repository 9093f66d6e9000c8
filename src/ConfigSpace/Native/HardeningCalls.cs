using System.Runtime.InteropServices;
using System.Text;

namespace Preconfig.ConfigSpace.Native;

/// <summary>What statx(2) says of an open file: its type, owner, size and modification time.</summary>
public readonly record struct FileFacts(uint Mode, uint Uid, long Size, DateTimeOffset Modified)
{
    private const uint S_IFMT = 0xF000, S_IFREG = 0x8000, S_IFDIR = 0x4000, S_IFIFO = 0x1000, S_IFCHR = 0x2000, S_IFBLK = 0x6000,
        S_IFLNK = 0xA000, S_IFSOCK = 0xC000;

    public bool IsRegular => (Mode & S_IFMT) == S_IFREG;
    public bool IsDirectory => (Mode & S_IFMT) == S_IFDIR;

    /// <summary>The file type in words, for messages ("a FIFO", "a character device").</summary>
    public string Kind => (Mode & S_IFMT) switch
    {
        S_IFREG => "a regular file",
        S_IFDIR => "a directory",
        S_IFIFO => "a FIFO",
        S_IFCHR => "a character device",
        S_IFBLK => "a block device",
        S_IFLNK => "a symbolic link",
        S_IFSOCK => "a socket",
        _ => $"file type 0x{Mode & S_IFMT:x}",
    };
}

/// <summary>
/// The few libc calls that let root read and write safely in directories other users can write (the crash
/// directory, node_exporter's textfile directory): open without following a planted link (O_NOFOLLOW), without
/// blocking on a planted FIFO (O_NONBLOCK), and look at what was actually opened (statx on the fd) before reading
/// it; fsync a directory after a rename so the new name survives a power loss. Kept apart so the libc imports can
/// be folded into one place (src/ConfigSpace/Native). Linux only; flag values per architecture from the kernel's
/// include/uapi/asm-generic/fcntl.h and arch/arm64's override.
/// </summary>
public static unsafe partial class HardeningCalls
{
    private const int O_RDONLY = 0, O_NOCTTY = 0x100, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000;
    private const int AT_FDCWD = -100, AT_SYMLINK_NOFOLLOW = 0x100, AT_EMPTY_PATH = 0x1000, STATX_BASIC_STATS = 0x7ff;
    public const int ELOOP = 40, ENOTDIR = 20, ENOENT = 2, EINTR = 4;

    private static bool Arm => RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm;
    // x86 and most others: asm-generic (O_DIRECTORY 0200000, O_NOFOLLOW 0400000); arm/arm64 swap in their own.
    private static int O_DIRECTORY => Arm ? 0x4000 : 0x10000;
    private static int O_NOFOLLOW => Arm ? 0x8000 : 0x20000;

    /// <summary>
    /// Reads <paramref name="name"/> in <paramref name="directory"/> as root may read a file others could have
    /// planted: neither the directory nor the file may be a symbolic link, the file must be a regular file (a FIFO
    /// would block the reader forever, a device could be endless) of at most <paramref name="limit"/> bytes. Throws
    /// <see cref="IOException"/> naming the path and what it is instead.
    /// </summary>
    public static (byte[] Bytes, FileFacts Facts, FileFacts Directory) ReadRegularFile(string directory, string name, long limit)
    {
        string path = Path.Combine(directory, name);
        int dir = Open(AT_FDCWD, directory, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, out int errno);
        if (dir < 0) throw Failure(directory, errno);
        try
        {
            var dirFacts = Stat(dir, directory);
            int fd = Open(dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, out errno);
            if (fd < 0) throw Failure(path, errno);
            try
            {
                var facts = Stat(fd, path);
                if (!facts.IsRegular) throw new IOException($"{path}: {facts.Kind}, not a regular file: not read");
                if (facts.Size > limit) throw new IOException($"{path}: {facts.Size} bytes, larger than {limit}: not read");
                // Read what is there now, never more than the bound (the file may grow after the statx).
                var buffer = new byte[facts.Size];
                int filled = 0;
                while (filled < buffer.Length)
                {
                    nint n;
                    fixed (byte* p = buffer) n = pread(fd, p + filled, buffer.Length - filled, filled);
                    if (n < 0)
                    {
                        errno = Marshal.GetLastPInvokeError();
                        if (errno == EINTR) continue;
                        throw Failure(path, errno);
                    }
                    if (n == 0) break;
                    filled += (int)n;
                }
                return (filled == buffer.Length ? buffer : buffer[..filled], facts, dirFacts);
            }
            finally { close(fd); }
        }
        finally { close(dir); }
    }

    /// <summary>lstat: what <paramref name="path"/> itself is (a link is not followed); null when it does not exist.</summary>
    public static FileFacts? LinkFacts(string path)
    {
        var buffer = stackalloc byte[256];
        int rc;
        fixed (byte* p = Utf8(path)) rc = statx(AT_FDCWD, p, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, buffer);
        return rc < 0 ? null : Facts(buffer);
    }

    /// <summary>
    /// fsync(2) on a directory, so a rename into it is on disk (rename alone is not durable: ext4 and xfs commit the
    /// directory entry with the directory, see fsync(2) NOTES). Returns the errno, 0 on success; file systems that
    /// cannot sync a directory (EINVAL) have nothing to sync.
    /// </summary>
    public static int SyncDirectory(string directory)
    {
        int fd = Open(AT_FDCWD, directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC, out int errno);
        if (fd < 0) return errno;
        try { return fsync(fd) < 0 ? Marshal.GetLastPInvokeError() : 0; }
        finally { close(fd); }
    }

    /// <summary>The effective user id: who may own what we trust.</summary>
    public static uint EffectiveUid() => geteuid();

    private static int Open(int at, string path, int flags, out int errno)
    {
        while (true)
        {
            int fd;
            fixed (byte* p = Utf8(path)) fd = openat(at, p, flags, 0);
            errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
            if (fd >= 0 || errno != EINTR) return fd;
        }
    }

    private static FileFacts Stat(int fd, string path)
    {
        var buffer = stackalloc byte[256];
        byte empty = 0;
        if (statx(fd, &empty, AT_EMPTY_PATH, STATX_BASIC_STATS, buffer) < 0) throw Failure(path, Marshal.GetLastPInvokeError());
        return Facts(buffer);
    }

    // struct statx (include/uapi/linux/stat.h), the same on every architecture: stx_uid at 20, stx_mode at 28,
    // stx_size at 40, stx_mtime (tv_sec s64, tv_nsec u32) at 112.
    private static FileFacts Facts(byte* b) => new(
        *(ushort*)(b + 28), *(uint*)(b + 20), *(long*)(b + 40),
        DateTimeOffset.FromUnixTimeSeconds(*(long*)(b + 112)).AddTicks(*(uint*)(b + 120) / 100));

    private static IOException Failure(string path, int errno) => errno switch
    {
        ELOOP => new IOException($"{path}: a symbolic link: not followed", errno),
        ENOTDIR => new IOException($"{path}: not a directory (or a link to one): not followed", errno),
        ENOENT => new FileNotFoundException($"{path}: no such file", path),
        _ => new IOException($"{path}: errno {errno} ({Marshal.GetPInvokeErrorMessage(errno)})", errno),
    };

    private static byte[] Utf8(string s)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(s) + 1];
        Encoding.UTF8.GetBytes(s, bytes);
        return bytes;
    }

    [LibraryImport("libc", EntryPoint = "openat", SetLastError = true)]
    private static partial int openat(int directory, byte* path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static partial int statx(int directory, byte* path, int flags, int mask, byte* buffer);

    [LibraryImport("libc", EntryPoint = "pread", SetLastError = true)]
    private static partial nint pread(int fd, byte* buffer, nint count, long offset);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int fsync(int fd);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint geteuid();

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int close(int fd);
}
