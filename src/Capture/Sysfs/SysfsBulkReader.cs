using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using System.Text;
using Preconfig.Capture.Sources;
using Preconfig.ConfigSpace;
using Preconfig.ConfigSpace.Native;
using Preconfig.ConfigSpace.Registers;
using Preconfig.ConfigSpace.Sysfs;

namespace Preconfig.Capture.Sysfs;

/// <summary>
/// The capture's fast path over the real file system: per function, config is open, one pread, close (an lseek for
/// the size only when the kernel handed 64 or 128 bytes); driver is one readlink; resource is open, pread, close,
/// only where it adds to the bytes (<see cref="PciAccessSource.Kept"/>). That is what the snapshot holds and nothing
/// more: identity (vendor, device, class, revision, subsystem) is in config space itself, so the vendor, device,
/// class ... attributes are not read. A capture of a thousand functions is bound by these syscalls: the general path
/// (<see cref="SysfsPciAccess"/>: a stat per attribute, a length probe, a vendor check) makes about twice as many.
/// Every path is opened relative to ROOT/devices, opened once (openat, readlinkat): the kernel walks ADDRESS/config,
/// not the root's components again for every file. Paths are built in one reused buffer and files read into one
/// reused buffer, so the only allocations per function are what the record keeps. Only reads: capture never writes
/// config space. Results and messages are the general path's; any other file system (the tests' seams) goes through it.
/// </summary>
internal sealed class SysfsBulkReader(string root) : IDisposable
{
    private const int MaxThreads = 4, MinFunctionsPerThread = 64, Chunk = 16;

    /// <summary>
    /// Every listed function, in list order. With more than one CPU and enough functions, on up to
    /// <see cref="MaxThreads"/> threads: the reads are independent, and the kernel's path walks and attribute reads,
    /// most of a capture, run on as many CPUs (a C loop doing this capture's syscalls on two threads takes 60% of its
    /// time on one, on an idle 2-CPU machine). Each thread takes the next <see cref="Chunk"/> functions until none is
    /// left, rather than a fixed share: a thread that starts late (a virtual machine's idle CPU can take milliseconds
    /// to wake) leaves its share to the others instead of making them wait for it (fixed halves on this 2-CPU virtual
    /// machine: the reads took 3.9 or 7.6 ms, about as often). Only reads: nothing is written, so the order does not matter.
    /// </summary>
    public static FunctionRead[] ReadAll(string root, IReadOnlyList<PciAddress> addresses) =>
        ReadAll(root, addresses, Math.Min(Math.Min(Environment.ProcessorCount, MaxThreads), addresses.Count / MinFunctionsPerThread));

    /// <inheritdoc cref="ReadAll(string, IReadOnlyList{PciAddress})"/>
    internal static FunctionRead[] ReadAll(string root, IReadOnlyList<PciAddress> addresses, int parts)
    {
        var work = new Work(root, addresses, new FunctionRead[addresses.Count]);
        if (parts <= 1)
        {
            work.Run();
            return work.Results;
        }
        var threads = new Thread[parts - 1];
        var failures = new Exception?[parts];
        for (int p = 1; p < parts; p++)
        {
            int part = p;
            threads[p - 1] = new Thread(() =>
            {
                try { work.Run(); }
                catch (Exception e) { failures[part] = e; }
            }, maxStackSize: 256 * 1024) { IsBackground = true, Name = "sysfs capture" };
            threads[p - 1].Start();
        }
        try { work.Run(); }
        catch (Exception e) { failures[0] = e; }
        foreach (var t in threads) t.Join();
        if (failures.FirstOrDefault(f => f is not null) is { } failure) ExceptionDispatchInfo.Throw(failure);
        return work.Results;
    }

    /// <summary>The functions to read, handed out <see cref="Chunk"/> at a time to every thread that asks.</summary>
    private sealed class Work(string root, IReadOnlyList<PciAddress> addresses, FunctionRead[] results)
    {
        private int _next;
        public FunctionRead[] Results => results;

        public void Run()
        {
            using var reader = new SysfsBulkReader(root);
            int start;
            while ((start = Interlocked.Add(ref _next, Chunk) - Chunk) < addresses.Count)
                for (int i = start, end = Math.Min(addresses.Count, start + Chunk); i < end; i++)
                    results[i] = reader.Read(addresses[i]);
        }
    }

    private readonly SysfsPath _path = new();
    private readonly byte[] _buffer = new byte[Header.ExtConfigSize];
    // ROOT/devices, opened at the first read; AtCwd (whole paths) if it cannot be opened, so the errors stay per file.
    private int _devices = int.MinValue;

    public void Dispose()
    {
        if (_devices >= 0) SysfsFile.Close(_devices);
        _devices = SysfsFile.AtCwd;
    }

    /// <summary>The path to open ATTRIBUTE (a whole path from <see cref="_path"/>) by, relative to <paramref name="directory"/>.</summary>
    private ReadOnlySpan<byte> Relative(ReadOnlySpan<byte> attribute, out int directory)
    {
        directory = _devices >= 0 ? _devices : SysfsFile.AtCwd;
        return _devices >= 0 ? _path.InDevices(attribute) : attribute;
    }

    public FunctionRead Read(PciAddress address)
    {
        _path.At(root, address);
        if (_devices == int.MinValue)
        {
            _devices = SysfsFile.OpenDirectory(_path.Devices(), out _);
            if (_devices < 0) _devices = SysfsFile.AtCwd;
        }
        var configPath = _path.Attribute("config"u8);
        int fd = SysfsFile.Open(Relative(configPath, out int directory), write: false, out int errno, directory);
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
        if ((PciAccessSource.Kept(config) & FunctionInfoParts.Resources) != 0)
        {
            var resourcePath = _path.Attribute("resource"u8);
            n = SysfsFile.ReadAttribute(Relative(resourcePath, out directory), _buffer, out errno, directory);
            if (n >= 0)
            {
                try { resources = SysfsPciAccess.ParseResources(_buffer.AsSpan(0, n), SysfsPath.Text(resourcePath)); }
                catch (InvalidDataException e) { warning = e.Message; }
            }
            else if (errno != Errno.ENOENT) warning = $"{SysfsPath.Text(resourcePath)}: {Marshal.GetPInvokeErrorMessage(errno)}";
        }
        string? driver = SysfsFile.LinkName(Relative(_path.Attribute("driver"u8), out directory), directory);
        return new FunctionRead(config, truncated, new PciFunctionInfo(driver, [], resources), null, false, warning);
    }
}
