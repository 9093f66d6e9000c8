namespace Preconfig.ConfigSpace.Native;

/// <summary>
/// errno values (include/uapi/asm-generic/errno-base.h and errno.h, which x86-64 and arm64 both use unchanged; ENOTSUPP
/// is the kernel's own, include/linux/errno.h, yet a sysfs <c>reset</c> write can return it), the one list every
/// assembly uses, and the errno behind a .NET I/O exception on Linux. .NET raises <see cref="IOException"/> with
/// HResult = errno for most failed syscalls, and <see cref="UnauthorizedAccessException"/> (inner IOException with the
/// errno) for EACCES/EPERM.
/// </summary>
public static class Errno
{
    public const int EPERM = 1, ENOENT = 2, EINTR = 4, EIO = 5, ENXIO = 6, EBADF = 9, EAGAIN = 11, EACCES = 13, EBUSY = 16,
        ENODEV = 19, ENOTDIR = 20, EINVAL = 22, ENOTTY = 25, EPIPE = 32, EOPNOTSUPP = 95, ETIMEDOUT = 110, ELOOP = 40, ENOTSUPP = 524;

    public static int? Of(Exception e) => e switch
    {
        FileNotFoundException or DirectoryNotFoundException => ENOENT,
        UnauthorizedAccessException { InnerException: IOException inner } when IsErrno(inner.HResult) => inner.HResult,
        UnauthorizedAccessException => EACCES,
        IOException io when IsErrno(io.HResult) => io.HResult,
        _ => null,
    };

    /// <summary>"Input/output error (EIO)": the text strerror gives, and the name, for messages and reports.</summary>
    public static string Describe(Exception e) => Of(e) is { } errno ? Describe(errno) : e.Message;

    public static string Describe(int errno) => errno switch
    {
        EPERM => "Operation not permitted (EPERM)",
        ENOENT => "No such file or directory (ENOENT)",
        EIO => "Input/output error (EIO)",
        ENXIO => "No such device or address (ENXIO)",
        EACCES => "Permission denied (EACCES)",
        EBUSY => "Device or resource busy (EBUSY)",
        ENODEV => "No such device (ENODEV)",
        EINVAL => "Invalid argument (EINVAL)",
        ENOTTY => "Inappropriate ioctl for device (ENOTTY)",
        EOPNOTSUPP => "Operation not supported (EOPNOTSUPP)",
        ETIMEDOUT => "Connection timed out (ETIMEDOUT)",
        ENOTSUPP => "Operation not supported (ENOTSUPP)",
        _ => $"errno {errno}",
    };

    private static bool IsErrno(int hresult) => hresult is > 0 and < 4096;
}
