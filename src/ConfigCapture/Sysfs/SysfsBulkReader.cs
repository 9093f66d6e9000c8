using System.Runtime.ExceptionServices;
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
    private const int MaxThreads = 4, MinFunctionsPerThread = 64;

    /// <summary>
    /// Every listed function, in list order. With more than one CPU and enough functions, in contiguous parts on up
    /// to <see cref="MaxThreads"/> threads: the reads are independent, and the kernel's path walks and attribute
    /// reads, most of a capture, run on as many CPUs (a C loop doing this capture's syscalls on two threads takes 60%
    /// of its time on one, on an idle 2-CPU machine). Only reads: nothing is written, so the order does not matter.
    /// </summary>
    public static FunctionRead[] ReadAll(string root, IReadOnlyList<PciAddress> addresses) =>
        ReadAll(root, addresses, Math.Min(Math.Min(Environment.ProcessorCount, MaxThreads), addresses.Count / MinFunctionsPerThread));

    /// <inheritdoc cref="ReadAll(string, IReadOnlyList{PciAddress})"/>
    internal static FunctionRead[] ReadAll(string root, IReadOnlyList<PciAddress> addresses, int parts)
    {
        var results = new FunctionRead[addresses.Count];
        if (parts <= 1)
        {
            ReadPart(root, addresses, results, 0, addresses.Count);
            return results;
        }
        var threads = new Thread[parts - 1];
        var failures = new Exception?[parts];
        int size = (addresses.Count + parts - 1) / parts;
        for (int p = 1; p < parts; p++)
        {
            int part = p, start = p * size, end = Math.Min(addresses.Count, start + size);
            threads[p - 1] = new Thread(() =>
            {
                try { ReadPart(root, addresses, results, start, end); }
                catch (Exception e) { failures[part] = e; }
            }, maxStackSize: 256 * 1024) { IsBackground = true, Name = "sysfs capture" };
            threads[p - 1].Start();
        }
        try { ReadPart(root, addresses, results, 0, Math.Min(size, addresses.Count)); }
        catch (Exception e) { failures[0] = e; }
        foreach (var t in threads) t.Join();
        if (failures.FirstOrDefault(f => f is not null) is { } failure) ExceptionDispatchInfo.Throw(failure);
        return results;
    }

    private static void ReadPart(string root, IReadOnlyList<PciAddress> addresses, FunctionRead[] results, int start, int end)
    {
        var reader = new SysfsBulkReader(root);
        for (int i = start; i < end; i++) results[i] = reader.Read(addresses[i]);
    }

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
