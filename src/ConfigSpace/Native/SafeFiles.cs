using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Preconfig.ConfigSpace.Native;

/// <summary>What statx(2) says of an open file: its type, owner, size and modification time.</summary>
public readonly record struct FileFacts(uint Mode, uint Uid, long Size, DateTimeOffset Modified)
{
    // struct statx (include/uapi/linux/stat.h), the same on every architecture; checked against the C headers by
    // tests/Preconfig.Tests/Native/LinuxAbiTests.cs.
    public const int UidOffset = 20, ModeOffset = 28, SizeOffset = 40, MtimeOffset = 112, MtimeNsecOffset = 120;

    /// <summary>The facts of a filled struct statx.</summary>
    public static FileFacts From(ReadOnlySpan<byte> statx) => new(
        BinaryPrimitives.ReadUInt16LittleEndian(statx[ModeOffset..]), BinaryPrimitives.ReadUInt32LittleEndian(statx[UidOffset..]),
        BinaryPrimitives.ReadInt64LittleEndian(statx[SizeOffset..]),
        DateTimeOffset.FromUnixTimeSeconds(BinaryPrimitives.ReadInt64LittleEndian(statx[MtimeOffset..]))
            .AddTicks(BinaryPrimitives.ReadUInt32LittleEndian(statx[MtimeNsecOffset..]) / 100));

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
/// Reading and writing safely, as root, in directories other users can write (the crash directory, node_exporter's
/// textfile directory): open without following a planted link (O_NOFOLLOW), without blocking on a planted FIFO
/// (O_NONBLOCK), and look at what was actually opened (statx on the fd) before reading it; fsync a directory after a
/// rename so the new name survives a power loss. Every call goes through <see cref="Libc"/>, the one native boundary.
/// Little-endian layouts only (x64, arm64: <see cref="LinuxAbi"/>).
/// </summary>
public static class SafeFiles
{
    private const int StatxSize = 256;

    /// <summary>
    /// Reads <paramref name="name"/> in <paramref name="directory"/> as root may read a file others could have
    /// planted: neither the directory nor the file may be a symbolic link, the file must be a regular file (a FIFO
    /// would block the reader forever, a device could be endless) of at most <paramref name="limit"/> bytes. Throws
    /// <see cref="IOException"/> naming the path and what it is instead.
    /// </summary>
    public static (byte[] Bytes, FileFacts Facts, FileFacts Directory) ReadRegularFile(string directory, string name, long limit)
    {
        string path = Path.Combine(directory, name);
        int dir = Open(LinuxAbi.AT_FDCWD, directory, OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY | OpenFlags.O_NOFOLLOW | OpenFlags.O_CLOEXEC, out int errno);
        if (dir < 0) throw Failure(directory, errno);
        try
        {
            var dirFacts = Stat(dir, directory);
            int fd = Open(dir, name, OpenFlags.O_RDONLY | OpenFlags.O_NOFOLLOW | OpenFlags.O_NONBLOCK | OpenFlags.O_NOCTTY | OpenFlags.O_CLOEXEC, out errno);
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
                    int n = Libc.PRead(fd, buffer.AsSpan(filled), filled, out errno);
                    if (n < 0) throw Failure(path, errno);
                    if (n == 0) break;
                    filled += n;
                }
                return (filled == buffer.Length ? buffer : buffer[..filled], facts, dirFacts);
            }
            finally { Libc.Close(fd); }
        }
        finally { Libc.Close(dir); }
    }

    /// <summary>lstat: what <paramref name="path"/> itself is (a link is not followed); null when it does not exist.</summary>
    public static FileFacts? LinkFacts(string path)
    {
        Span<byte> buffer = stackalloc byte[StatxSize];
        int rc = Libc.Stat(LinuxAbi.AT_FDCWD, Libc.Terminated(path), LinuxAbi.AT_SYMLINK_NOFOLLOW, LinuxAbi.STATX_BASIC_STATS, buffer, out _);
        return rc < 0 ? null : FileFacts.From(buffer);
    }

    /// <summary>
    /// fsync(2) on a directory, so a rename into it is on disk (rename alone is not durable: ext4 and xfs commit the
    /// directory entry with the directory, see fsync(2) NOTES). Returns the errno, 0 on success; file systems that
    /// cannot sync a directory (EINVAL) have nothing to sync.
    /// </summary>
    public static int SyncDirectory(string directory)
    {
        int fd = Open(LinuxAbi.AT_FDCWD, directory, OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY | OpenFlags.O_CLOEXEC, out int errno);
        if (fd < 0) return errno;
        try { return Libc.Sync(fd, out errno) < 0 ? errno : 0; }
        finally { Libc.Close(fd); }
    }

    /// <summary>The effective user id: who may own what we trust.</summary>
    public static uint EffectiveUid() => Libc.EffectiveUid();

    private static int Open(int at, string path, int flags, out int errno)
    {
        var name = Libc.Terminated(path);
        while (true)
        {
            int fd = Libc.Open(name, flags, out errno, at);
            if (fd >= 0 || errno != Errno.EINTR) return fd;
        }
    }

    private static FileFacts Stat(int fd, string path)
    {
        Span<byte> buffer = stackalloc byte[StatxSize];
        if (Libc.Stat(fd, [0], LinuxAbi.AT_EMPTY_PATH, LinuxAbi.STATX_BASIC_STATS, buffer, out int errno) < 0) throw Failure(path, errno);
        return FileFacts.From(buffer);
    }

    private static IOException Failure(string path, int errno) => errno switch
    {
        Errno.ELOOP => new IOException($"{path}: a symbolic link: not followed", errno),
        Errno.ENOTDIR => new IOException($"{path}: not a directory (or a link to one): not followed", errno),
        Errno.ENOENT => new FileNotFoundException($"{path}: no such file", path),
        _ => new IOException($"{path}: errno {errno} ({Marshal.GetPInvokeErrorMessage(errno)})", errno),
    };
}
