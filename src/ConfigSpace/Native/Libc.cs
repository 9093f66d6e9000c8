using System.Runtime.InteropServices;

namespace Preconfig.ConfigSpace.Native;

/// <summary>
/// Every libc function preconfig calls, and the one place it imports any: each returns what the C call returns, with
/// <c>errno</c> as an out value (0 on success) rather than an exception, so a caller on a hot path (a capture reads a
/// thousand functions' files) pays for no exception per absent attribute. Paths are NUL-terminated UTF-8 spans built
/// by the caller. The numbers passed (flags, whence, events) come from <see cref="OpenFlags"/> and
/// <see cref="LinuxAbi"/>, right per architecture.
/// <para>
/// Imported from "libc" with <c>LibraryImport</c>: the executable binds these at link time
/// (<c>&lt;DirectPInvoke Include="libc" /&gt;</c> in src/Cli/Executable.props), so no library is probed at the
/// first call; under the JIT (tests) the runtime resolves "libc" to glibc's libc.so.6. openat(2) is variadic in C (a
/// mode follows with O_CREAT); called without the mode, as here, its fixed arguments are passed as for a plain
/// function on both x86-64 (SysV) and arm64 (AAPCS64 on Linux, unlike Apple's).
/// </para>
/// </summary>
public static unsafe partial class Libc
{
    /// <summary>openat(2) of <paramref name="path"/> (NUL-terminated), relative to <paramref name="directory"/>
    /// (<see cref="LinuxAbi.AT_FDCWD"/>: as open(2)). The fd, or -1 with <paramref name="errno"/>.</summary>
    public static int Open(ReadOnlySpan<byte> path, int flags, out int errno, int directory = LinuxAbi.AT_FDCWD)
    {
        fixed (byte* p = path) return Result(openat(directory, p, flags), out errno);
    }

    /// <summary>One read(2): the bytes read (0 at end of file), or -1 with <paramref name="errno"/> (EINTR included).</summary>
    public static int Read(int fd, Span<byte> buffer, out int errno)
    {
        fixed (byte* p = buffer) return Result(read(fd, p, buffer.Length), out errno);
    }

    /// <summary>One write(2): the bytes written, or -1 with <paramref name="errno"/> (EINTR included).</summary>
    public static int Write(int fd, ReadOnlySpan<byte> buffer, out int errno)
    {
        fixed (byte* p = buffer) return Result(write(fd, p, buffer.Length), out errno);
    }

    /// <summary>One pread(2), again on EINTR: the bytes read, or -1 with <paramref name="errno"/>.</summary>
    public static int PRead(int fd, Span<byte> buffer, long offset, out int errno)
    {
        fixed (byte* p = buffer)
        {
            int n;
            while ((n = Result(pread(fd, p, buffer.Length, offset), out errno)) < 0 && errno == Errno.EINTR) { }
            return n;
        }
    }

    /// <summary>One pwrite(2), again on EINTR: the bytes written, or -1 with <paramref name="errno"/>.</summary>
    public static int PWrite(int fd, ReadOnlySpan<byte> buffer, long offset, out int errno)
    {
        fixed (byte* p = buffer)
        {
            int n;
            while ((n = Result(pwrite(fd, p, buffer.Length, offset), out errno)) < 0 && errno == Errno.EINTR) { }
            return n;
        }
    }

    /// <summary>lseek(2): the new offset, or -1 with <paramref name="errno"/>.</summary>
    public static long Seek(int fd, long offset, int whence, out int errno)
    {
        long at = lseek(fd, offset, whence);
        errno = at < 0 ? Marshal.GetLastPInvokeError() : 0;
        return at;
    }

    /// <summary>A call's result as an int, with the errno it left when it failed (read before any other call can change it).</summary>
    private static int Result(nint n, out int errno)
    {
        errno = n < 0 ? Marshal.GetLastPInvokeError() : 0;
        return (int)n;
    }

    /// <summary>One getdents64(2) into <paramref name="buffer"/> (records as <see cref="Dirent64"/>): the bytes
    /// written (0 at the end), or -1 with <paramref name="errno"/>.</summary>
    public static int ReadDirectory(int fd, Span<byte> buffer, out int errno)
    {
        fixed (byte* p = buffer) return Result(getdents64(fd, p, buffer.Length), out errno);
    }

    /// <summary>readlinkat(2): the target's length in <paramref name="target"/> (not NUL-terminated), or -1.</summary>
    public static nint ReadLink(ReadOnlySpan<byte> path, Span<byte> target, int directory = LinuxAbi.AT_FDCWD)
    {
        fixed (byte* p = path)
        fixed (byte* t = target)
            return readlinkat(directory, p, t, target.Length);
    }

    /// <summary>access(2): 0 when allowed (<see cref="LinuxAbi.F_OK"/>: when the path exists), else -1.</summary>
    public static int Access(ReadOnlySpan<byte> path, int mode)
    {
        fixed (byte* p = path) return access(p, mode);
    }

    /// <summary>poll(2) of one descriptor: the count of ready descriptors, or -1.</summary>
    public static int Poll(int fd, short events, int timeoutMs)
    {
        var wait = new PollFd { Fd = fd, Events = events };
        return poll(&wait, 1, timeoutMs);
    }

    public static int Close(int fd) => close(fd);

    /// <summary>statx(2) of <paramref name="path"/> relative to <paramref name="directory"/> (an empty path with
    /// <see cref="LinuxAbi.AT_EMPTY_PATH"/>: the open descriptor itself) into <paramref name="buffer"/> (struct statx,
    /// 256 bytes): 0, or -1 with <paramref name="errno"/>.</summary>
    public static int Stat(int directory, ReadOnlySpan<byte> path, int flags, int mask, Span<byte> buffer, out int errno)
    {
        if (buffer.Length < 256) throw new ArgumentException("struct statx needs 256 bytes", nameof(buffer));
        fixed (byte* p = path)
        fixed (byte* b = buffer)
            return Result(statx(directory, p, flags, mask, b), out errno);
    }

    /// <summary>fsync(2): 0, or -1 with <paramref name="errno"/>.</summary>
    public static int Sync(int fd, out int errno) => Result(fsync(fd), out errno);

    /// <summary>geteuid(2): who this process acts as.</summary>
    public static uint EffectiveUid() => geteuid();

    /// <summary><paramref name="path"/> as the NUL-terminated UTF-8 the calls above take.</summary>
    public static byte[] Terminated(string path)
    {
        var bytes = new byte[System.Text.Encoding.UTF8.GetByteCount(path) + 1];
        System.Text.Encoding.UTF8.GetBytes(path, bytes);
        return bytes;
    }

    [LibraryImport("libc", EntryPoint = "openat", SetLastError = true)]
    private static partial int openat(int directory, byte* path, int flags);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint read(int fd, byte* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint write(int fd, byte* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "pread", SetLastError = true)]
    private static partial nint pread(int fd, byte* buffer, nint count, long offset);

    [LibraryImport("libc", EntryPoint = "pwrite", SetLastError = true)]
    private static partial nint pwrite(int fd, byte* buffer, nint count, long offset);

    [LibraryImport("libc", EntryPoint = "lseek", SetLastError = true)]
    private static partial long lseek(int fd, long offset, int whence);

    [LibraryImport("libc", EntryPoint = "readlinkat", SetLastError = true)]
    private static partial nint readlinkat(int directory, byte* path, byte* buffer, nint size);

    [LibraryImport("libc", EntryPoint = "getdents64", SetLastError = true)]
    private static partial nint getdents64(int fd, byte* buffer, nint size);

    [LibraryImport("libc", EntryPoint = "access")]
    private static partial int access(byte* path, int mode);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static partial int poll(PollFd* fds, nuint count, int timeout);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int close(int fd);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static partial int statx(int directory, byte* path, int flags, int mask, byte* buffer);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int fsync(int fd);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint geteuid();
}
