using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using Preconfig.ConfigSpace.Native;
using Preconfig.ConfigSpace.Registers;

namespace Preconfig.ConfigSpace.Sysfs;

/// <summary>
/// A capture's read of sysfs (<see cref="SysfsPciAccess.ReadFunctions"/>), over either backend's
/// <see cref="SysfsFunctionFiles"/>: per function, config read whole (the file's size looked at only when the kernel
/// handed 64 or 128 bytes), the driver link, and <c>resource</c> only where it adds to the bytes. That is what the
/// snapshot holds and nothing more: identity (vendor, device, class, revision, subsystem) is in config space itself,
/// so the vendor, device, class ... attributes are not read. A capture of a thousand functions is bound by these
/// syscalls: through libc, open/pread/close, one readlink, and no string made per file (see
/// <see cref="LibcSysfsBackend"/>); <see cref="SysfsPciAccess.Open"/> and <see cref="SysfsPciAccess.Describe(PciAddress)"/>
/// make about twice as many. Only reads: capture never writes config space.
/// </summary>
internal static class SysfsFunctionReader
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
    public static FunctionRead[] ReadAll(SysfsBackend backend, string root, IReadOnlyList<PciAddress> addresses, Func<ReadOnlySpan<byte>, FunctionInfoParts> parts) =>
        ReadAll(backend, root, addresses, parts, Math.Min(Math.Min(Environment.ProcessorCount, MaxThreads), addresses.Count / MinFunctionsPerThread));

    /// <inheritdoc cref="ReadAll(SysfsBackend, string, IReadOnlyList{PciAddress}, Func{ReadOnlySpan{byte}, FunctionInfoParts})"/>
    internal static FunctionRead[] ReadAll(SysfsBackend backend, string root, IReadOnlyList<PciAddress> addresses, Func<ReadOnlySpan<byte>, FunctionInfoParts> parts, int threads)
    {
        var work = new Work(backend, root, addresses, parts, new FunctionRead[addresses.Count]);
        if (threads <= 1)
        {
            work.Run();
            return work.Results;
        }
        var others = new Thread[threads - 1];
        var failures = new Exception?[threads];
        for (int t = 1; t < threads; t++)
        {
            int slot = t;
            others[t - 1] = new Thread(() =>
            {
                try { work.Run(); }
                catch (Exception e) { failures[slot] = e; }
            }, maxStackSize: 256 * 1024) { IsBackground = true, Name = "sysfs capture" };
            others[t - 1].Start();
        }
        try { work.Run(); }
        catch (Exception e) { failures[0] = e; }
        foreach (var t in others) t.Join();
        if (failures.FirstOrDefault(f => f is not null) is { } failure) ExceptionDispatchInfo.Throw(failure);
        return work.Results;
    }

    /// <summary>The functions to read, handed out <see cref="Chunk"/> at a time to every thread that asks; each
    /// thread reads through files and a buffer of its own.</summary>
    private sealed class Work(SysfsBackend backend, string root, IReadOnlyList<PciAddress> addresses,
        Func<ReadOnlySpan<byte>, FunctionInfoParts> parts, FunctionRead[] results)
    {
        private int _next;
        public FunctionRead[] Results => results;

        public void Run()
        {
            using var files = backend.OpenFunctionFiles(root);
            var buffer = new byte[Header.ExtConfigSize];
            int start;
            while ((start = Interlocked.Add(ref _next, Chunk) - Chunk) < addresses.Count)
                for (int i = start, end = Math.Min(addresses.Count, start + Chunk); i < end; i++)
                    results[i] = Read(files, addresses[i], parts, buffer);
        }
    }

    /// <summary>One function; <paramref name="buffer"/> (4 KiB) is reused, so the only allocations are what the result keeps.</summary>
    public static FunctionRead Read(SysfsFunctionFiles files, PciAddress address, Func<ReadOnlySpan<byte>, FunctionInfoParts> parts, byte[] buffer)
    {
        int n = files.ReadConfig(address, buffer, out int errno, out long size);
        if (n < 0)
        {
            bool gone = errno is Errno.ENOENT or Errno.ENODEV or Errno.ENXIO;
            string where = files.PathOf(address, "config");
            return new FunctionRead(null, false, PciFunctionInfo.Unknown,
                gone ? $"{where} is gone: the function was removed" : $"read of {where} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})",
                gone, null);
        }
        // A removed function reads all ones (vendor 0xffff), as SysfsConfigSpace treats it.
        if (n >= 2 && buffer[0] == 0xff && buffer[1] == 0xff)
            return new FunctionRead(null, false, PciFunctionInfo.Unknown, $"{files.PathOf(address, "config")} reads vendor 0xffff: the function was removed", true, null);
        var config = buffer.AsSpan(0, n).ToArray();
        // The kernel hands a reader without CAP_SYS_ADMIN 64 bytes (128 for CardBus); the file's size says what the device has.
        bool truncated = n is 64 or 128 && size > n;
        var wanted = parts(config);

        string? warning = null;
        IReadOnlyList<BarResource> resources = [];
        if ((wanted & FunctionInfoParts.Resources) != 0)
        {
            n = files.ReadAttribute(address, "resource"u8, buffer, out errno);
            if (n >= 0)
            {
                try { resources = SysfsPciAccess.ParseResources(buffer.AsSpan(0, n), files.PathOf(address, "resource")); }
                catch (InvalidDataException e) { warning = e.Message; }
            }
            else if (errno != Errno.ENOENT) warning = $"{files.PathOf(address, "resource")}: {Marshal.GetPInvokeErrorMessage(errno)}";
        }
        string? driver = (wanted & FunctionInfoParts.Driver) != 0 ? files.LinkName(address, "driver"u8) : null;
        return new FunctionRead(config, truncated, new PciFunctionInfo(driver, [], resources), null, false, warning);
    }
}

/// <summary>
/// The files of functions under ROOT/devices as a capture reads them, on one thread (it may hold buffers and open
/// directories): each backend's own way (<see cref="SysfsBackend.OpenFunctionFiles"/>). Failures are errno values,
/// never exceptions: a capture of a thousand functions reports them and goes on.
/// </summary>
internal abstract class SysfsFunctionFiles : IDisposable
{
    /// <summary>
    /// ROOT/devices/ADDRESS/config, whole, into <paramref name="buffer"/>: the bytes read, or -1 with
    /// <paramref name="errno"/>. <paramref name="size"/> is the file's size when the read returned 64 or 128 bytes (a
    /// reader without CAP_SYS_ADMIN of a larger space gets that many), else it may be -1.
    /// </summary>
    public abstract int ReadConfig(PciAddress address, Span<byte> buffer, out int errno, out long size);

    /// <summary>ROOT/devices/ADDRESS/NAME, whole: the bytes read, or -1 with <paramref name="errno"/> (ENOENT: no such attribute).</summary>
    public abstract int ReadAttribute(PciAddress address, ReadOnlySpan<byte> name, Span<byte> buffer, out int errno);

    /// <summary>The last part of the link ROOT/devices/ADDRESS/NAME's target (<c>driver</c> -> "nvme"), or null when there is no link.</summary>
    public abstract string? LinkName(PciAddress address, ReadOnlySpan<byte> name);

    /// <summary>ROOT/devices/ADDRESS/NAME as text, for messages.</summary>
    public abstract string PathOf(PciAddress address, string name);

    public virtual void Dispose() { }
}
