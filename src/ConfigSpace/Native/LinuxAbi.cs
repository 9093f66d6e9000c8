using System.Runtime.InteropServices;

namespace Preconfig.ConfigSpace.Native;

/// <summary>
/// The architecture whose Linux numbers <see cref="Libc"/>'s callers pass: this process's, chosen at run time, so one
/// IL assembly is right under the x64 and the arm64 runtime alike (and Native AOT, where
/// <see cref="RuntimeInformation.ProcessArchitecture"/> is a constant, folds the choice away). Only x64 and arm64 are
/// known: a number that differs by architecture is refused on any other (<see cref="Unsupported"/>: a clear PlatformNotSupportedException) rather than guessed.
/// Every number here is checked against each architecture's C headers (tests/…/Native/LinuxAbiTests.cs).
/// </summary>
public static class LinuxAbi
{
    public static Architecture Architecture { get; } = RuntimeInformation.ProcessArchitecture;

    /// <summary>The value for this process's architecture.</summary>
    internal static int Pick(int x64, int arm64) => Pick(Architecture, x64, arm64);

    internal static int Pick(Architecture architecture, int x64, int arm64) => architecture switch
    {
        Architecture.X64 => x64,
        Architecture.Arm64 => arm64,
        _ => throw Unsupported(architecture),
    };

    public static PlatformNotSupportedException Unsupported(Architecture architecture) =>
        new($"preconfig knows the Linux system-call numbers of x64 and arm64 only (src/ConfigSpace/Native), and this process runs as {architecture}");

    // Numbers that are the same on every architecture Linux and .NET share (the asm-generic headers, which x86-64 and
    // arm64 use unchanged for these).

    /// <summary>include/uapi/linux/fcntl.h: a path relative to this "directory" is taken as open(2) takes it.</summary>
    public const int AT_FDCWD = -100;

    /// <summary>include/uapi/linux/fcntl.h: statx of a link itself, and of the descriptor itself (empty path).</summary>
    public const int AT_SYMLINK_NOFOLLOW = 0x100, AT_EMPTY_PATH = 0x1000;

    /// <summary>include/uapi/linux/stat.h: the statx fields stat(2) has (type, mode, owner, size, times).</summary>
    public const int STATX_BASIC_STATS = 0x7ff;

    /// <summary>include/uapi/linux/fs.h (lseek whence).</summary>
    public const int SEEK_END = 2;

    /// <summary>unistd.h (access mode: existence only).</summary>
    public const int F_OK = 0;

    /// <summary>include/uapi/asm-generic/poll.h (x86 and arm64 include it unchanged).</summary>
    public const short POLLIN = 1, POLLOUT = 4;
}

/// <summary>
/// open(2) flags. x86-64 takes include/uapi/asm-generic/fcntl.h whole (arch/x86/include/uapi/asm/fcntl.h only includes
/// it); arm64 defines four of them itself first (arch/arm64/include/uapi/asm/fcntl.h, equal to 32-bit ARM's for its
/// compat tasks): O_DIRECTORY, O_NOFOLLOW, O_DIRECT, O_LARGEFILE. So x86-64's O_DIRECTORY (0x10000) is arm64's O_DIRECT,
/// and an open of a directory with it fails with EINVAL there. Those are taken per architecture
/// (<see cref="O_DIRECTORY"/>). O_LARGEFILE is not used: off_t is 64 bits on both, and glibc defines it as 0 on 64-bit
/// targets (the kernel sets it itself, force_o_largefile()).
/// </summary>
public static class OpenFlags
{
    public const int O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_TRUNC = 0x200, O_NOCTTY = 0x100, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000;

    /// <summary>Must be a directory (this architecture's value).</summary>
    public static int O_DIRECTORY => LinuxAbi.Pick(X64.O_DIRECTORY, Arm64.O_DIRECTORY);

    /// <summary>O_NOFOLLOW: a link planted at the last component fails the open with ELOOP.</summary>
    public static int O_NOFOLLOW => LinuxAbi.Pick(X64.O_NOFOLLOW, Arm64.O_NOFOLLOW);

    /// <summary>x86-64: include/uapi/asm-generic/fcntl.h.</summary>
    public static class X64
    {
        public const int O_DIRECTORY = 0x10000, O_NOFOLLOW = 0x20000, O_DIRECT = 0x4000;
    }

    /// <summary>arm64: arch/arm64/include/uapi/asm/fcntl.h (040000, 0100000, 0200000 octal).</summary>
    public static class Arm64
    {
        public const int O_DIRECTORY = 0x4000, O_NOFOLLOW = 0x8000, O_DIRECT = 0x10000;
    }
}

/// <summary>
/// What getdents64(2) writes: struct linux_dirent64 (include/linux/dirent.h; glibc's struct dirent64 has the same
/// layout on every architecture): d_ino (8 bytes), d_off (8), d_reclen (2), d_type (1), then the NUL-terminated name.
/// </summary>
public static class Dirent64
{
    /// <summary>offsetof(struct dirent64, d_reclen): the record's length, 16 bits, native (little-endian) order.</summary>
    public const int RecordLengthOffset = 16;

    /// <summary>offsetof(struct dirent64, d_name).</summary>
    public const int NameOffset = 19;
}

/// <summary>struct pollfd (include/uapi/asm-generic/poll.h; the same on x86-64 and arm64).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct PollFd
{
    public int Fd;
    public short Events;
    public short Revents;
}
