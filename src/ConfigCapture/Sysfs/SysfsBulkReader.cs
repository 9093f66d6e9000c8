using System.Runtime.InteropServices;
using System.Text;
using Preconfig.ConfigCapture.Sources;
using Preconfig.ConfigSpace;
using Preconfig.ConfigSpace.Registers;
using Preconfig.ConfigSpace.Sysfs;
using Preconfig.Handoff.Model;

namespace Preconfig.ConfigCapture.Sysfs;

/// <summary>
/// The capture's fast path over the real file system: each function's attributes read with the fewest syscalls
/// (config: open, one pread, close; resource and reset_method: open, read, close; driver: one readlink). A capture
/// of a thousand functions is bound by syscalls, and the general path (<see cref="SysfsPciAccess"/>: FileStream with
/// its flock and fstat, a length probe, a vendor check, a stat per attribute) makes about three times as many. Only
/// reads: capture never writes config space. Results and messages are the general path's; any other file system
/// (and the tests' seams) goes through <see cref="SysfsPciAccess"/>.
/// </summary>
internal static partial class SysfsBulkReader
{
    private const int O_RDONLY = 0, O_CLOEXEC = 0x80000;
    private const int ENOENT = 2, EINTR = 4, EIO = 5, ENXIO = 6, ENODEV = 19;

    public static FunctionRead Read(string root, PciAddress address)
    {
        string dir = Path.Combine(root, "devices", address.ToString());
        string configPath = Path.Combine(dir, "config");
        var buffer = new byte[Header.ExtConfigSize];
        int n = ReadFile(configPath, buffer, out int errno);
        if (n < 0)
        {
            bool gone = errno is ENOENT or ENODEV or ENXIO;
            return new FunctionRead(null, false, PciFunctionInfo.Unknown,
                gone ? $"{configPath} is gone: the function was removed" : $"read of {configPath} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})",
                gone, null);
        }
        // A removed function reads all ones (vendor 0xffff), as SysfsConfigSpace treats it.
        if (n >= 2 && buffer[0] == 0xff && buffer[1] == 0xff)
            return new FunctionRead(null, false, PciFunctionInfo.Unknown, $"{configPath} reads vendor 0xffff: the function was removed", true, null);
        bool truncated = false;
        if (n is 64 or 128)
        {
            // The kernel hands a reader without CAP_SYS_ADMIN 64 bytes (128 for CardBus); the file's size says what the device has.
            long size = new FileInfo(configPath).Length;
            truncated = size > n;
        }
        var config = buffer.AsSpan(0, n).ToArray();

        string? warning = null;
        IReadOnlyList<BarResource> resources = [];
        string? resourceText = ReadText(Path.Combine(dir, "resource"), out errno);
        if (resourceText is not null)
        {
            try { resources = SysfsPciAccess.ParseResources(resourceText, Path.Combine(dir, "resource")); }
            catch (InvalidDataException e) { warning = e.Message; }
        }
        else if (errno != ENOENT) warning = $"{Path.Combine(dir, "resource")}: {Marshal.GetPInvokeErrorMessage(errno)}";
        string? methods = ReadText(Path.Combine(dir, "reset_method"), out _);
        return new FunctionRead(config, truncated,
            new PciFunctionInfo(Driver(Path.Combine(dir, "driver")), methods?.Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries) ?? [], resources),
            null, false, warning);
    }

    /// <summary>
    /// open, one pread, close; -1 with errno on failure. One read is the whole attribute: sysfs hands a binary
    /// attribute (config, at most 4096 bytes) up to the size asked and a text attribute (resource, reset_method: at
    /// most a page) whole; a regular file in a test tree reads whole into a buffer this size.
    /// </summary>
    private static int ReadFile(string path, byte[] buffer, out int errno)
    {
        errno = 0;
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) { errno = Marshal.GetLastPInvokeError(); return -1; }
        try
        {
            while (true)
            {
                nint got = pread(fd, ref buffer[0], buffer.Length, 0);
                if (got >= 0) return (int)got;
                errno = Marshal.GetLastPInvokeError();
                if (errno != EINTR) return -1;
            }
        }
        finally
        {
            close(fd);
        }
    }

    private static string? ReadText(string path, out int errno)
    {
        var buffer = new byte[4096];
        int n = ReadFile(path, buffer, out errno);
        return n < 0 ? null : Encoding.ASCII.GetString(buffer, 0, n);
    }

    /// <summary>The bound driver: the last part of the <c>driver</c> link's target, or null (no link: no driver).</summary>
    private static string? Driver(string link)
    {
        Span<byte> target = stackalloc byte[512];
        nint n = readlink(link, ref MemoryMarshal.GetReference(target), target.Length);
        if (n <= 0) return null;
        var text = Encoding.UTF8.GetString(target[..(int)n]).TrimEnd('/');
        return text[(text.LastIndexOf('/') + 1)..];
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "pread", SetLastError = true)]
    private static partial nint pread(int fd, ref byte buffer, nint count, long offset);

    [LibraryImport("libc", EntryPoint = "readlink", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint readlink(string path, ref byte buffer, nint size);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int close(int fd);
}
