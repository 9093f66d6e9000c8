using System.Runtime.InteropServices;
using System.Text;
using Preconfig.ConfigCapture.Sources;
using Preconfig.ConfigSpace;
using Preconfig.ConfigSpace.Registers;
using Preconfig.ConfigSpace.Sysfs;

namespace Preconfig.ConfigCapture.Sysfs;

/// <summary>
/// The capture's fast path over the real file system: per function, config is open, one pread, close (an lseek for
/// the size only when the kernel handed 64 or 128 bytes); resource and reset_method are open, pread, close (one
/// failed open where absent, as reset_method is on most functions); driver is one readlink. That is what the
/// snapshot holds and nothing more: identity (vendor, device, class, revision, subsystem) is in config space
/// itself, so the vendor, device, class ... attributes are not read. A capture of a thousand functions is bound by
/// these syscalls: the general path (<see cref="SysfsPciAccess"/>: a stat per attribute, a length probe, a vendor
/// check) makes about twice as many. Paths are built in one reused buffer and files read into one reused buffer, so
/// the only allocations per function are what the record keeps. Only reads: capture never writes config space.
/// Results and messages are the general path's; any other file system (the tests' seams) goes through it.
/// </summary>
internal sealed class SysfsBulkReader(string root)
{
    private readonly SysfsPath _path = new();
    private readonly byte[] _buffer = new byte[Header.ExtConfigSize];

    public FunctionRead Read(PciAddress address)
    {
        _path.At(root, address);
        var configPath = _path.Attribute("config"u8);
        int fd = SysfsFile.Open(configPath, write: false, out int errno);
        int n = fd < 0 ? -1 : SysfsFile.PRead(fd, _buffer, 0, out errno);
        bool truncated = false;
        // The kernel hands a reader without CAP_SYS_ADMIN 64 bytes (128 for CardBus); the file's size says what the device has.
        if (n is 64 or 128) truncated = SysfsFile.Size(fd, out _) > n;
        if (fd >= 0) SysfsFile.Close(fd);
        if (n < 0)
        {
            bool gone = errno is Errno.ENOENT or Errno.ENODEV or Errno.ENXIO;
            string where = SysfsPath.Text(configPath);
            return new FunctionRead(null, false, PciFunctionInfo.Unknown,
                gone ? $"{where} is gone: the function was removed" : $"read of {where} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})",
                gone, null);
        }
        // A removed function reads all ones (vendor 0xffff), as SysfsConfigSpace treats it.
        if (n >= 2 && _buffer[0] == 0xff && _buffer[1] == 0xff)
            return new FunctionRead(null, false, PciFunctionInfo.Unknown, $"{SysfsPath.Text(configPath)} reads vendor 0xffff: the function was removed", true, null);
        var config = _buffer.AsSpan(0, n).ToArray();

        string? warning = null;
        IReadOnlyList<BarResource> resources = [];
        var resourcePath = _path.Attribute("resource"u8);
        n = SysfsFile.ReadAttribute(resourcePath, _buffer, out errno);
        if (n >= 0)
        {
            try { resources = SysfsPciAccess.ParseResources(_buffer.AsSpan(0, n), SysfsPath.Text(resourcePath)); }
            catch (InvalidDataException e) { warning = e.Message; }
        }
        else if (errno != Errno.ENOENT) warning = $"{SysfsPath.Text(resourcePath)}: {Marshal.GetPInvokeErrorMessage(errno)}";

        n = SysfsFile.ReadAttribute(_path.Attribute("reset_method"u8), _buffer, out _);
        var methods = n < 0 ? [] : SysfsPciAccess.ParseResetMethods(_buffer.AsSpan(0, n));
        string? driver = SysfsFile.LinkName(_path.Attribute("driver"u8));
        return new FunctionRead(config, truncated, new PciFunctionInfo(driver, methods, resources), null, false, warning);
    }
}
