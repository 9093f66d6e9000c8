namespace Preconfig.ConfigSpace.Sysfs;

/// <summary>
/// The errno behind a .NET I/O exception on Linux. .NET raises <see cref="IOException"/> with HResult = errno for most
/// failed syscalls, and <see cref="UnauthorizedAccessException"/> (inner IOException with the errno) for EACCES/EPERM.
/// </summary>
internal static class Errno
{
    public const int EPERM = 1, ENOENT = 2, EINTR = 4, EIO = 5, ENXIO = 6, EBUSY = 16, ENODEV = 19, EINVAL = 22, ENOTTY = 25, EACCES = 13, ENOTDIR = 20,
        EOPNOTSUPP = 95, ETIMEDOUT = 110, ENOTSUPP = 524;

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
