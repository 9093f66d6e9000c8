using System.Buffers.Binary;
using System.IO.Abstractions;
using Preconfig.ConfigSpace.Native;
using Preconfig.ConfigSpace.Registers;

namespace Preconfig.ConfigSpace.Sysfs;

/// <summary>
/// One function's configuration space through sysfs: <c>ROOT/devices/&lt;addr&gt;/config</c>, kept open for the
/// object's life. Every access is one positioned read or write of exactly the requested width on an unbuffered
/// handle (one pread/pwrite), so the kernel issues config cycles of that width and nothing more.
/// <para>
/// The kernel gives a reader without CAP_SYS_ADMIN only the first 64 bytes (128 for CardBus) and reads past that as
/// end of file, while the file's size still says 256 or 4096. That is detected when the space is opened:
/// <see cref="ReportedLength"/> is the file's size, <see cref="Length"/> what actually reads, <see cref="Truncated"/>
/// when they differ.
/// </para>
/// </summary>
public sealed class SysfsConfigSpace : IConfigSpace, IDisposable
{
    public const string DefaultRoot = "/sys/bus/pci";

    // Readable lengths the kernel can hand out: full size, standard space, CardBus non-root limit, non-root limit.
    private static readonly int[] ProbeLengths = [Header.ExtConfigSize, Header.StdConfigSize, 128, 64];

    private readonly IFileSystem _fs;
    private readonly Stream _stream;
    private readonly Lock _lock = new();
    private bool _disposed;

    /// <summary>Opens <c>ROOT/devices/&lt;address&gt;/config</c>; read-write when <paramref name="writable"/> (falls back
    /// to read-only when the open for writing is refused, see <see cref="Writable"/>).</summary>
    public SysfsConfigSpace(IFileSystem fileSystem, string root, PciAddress address, bool writable = true)
        : this(SysfsBackend.For(fileSystem), DeviceDirectory(fileSystem, root, address), address, writable, null) { }

    /// <param name="streamSeam">Tests wrap the opened stream to make it fail or read short as the kernel can.</param>
    internal SysfsConfigSpace(IFileSystem fileSystem, string deviceDirectory, PciAddress address, bool writable, Func<Stream, Stream>? streamSeam)
        : this(SysfsBackend.For(fileSystem), deviceDirectory, address, writable, streamSeam) { }

    internal SysfsConfigSpace(SysfsBackend backend, string deviceDirectory, PciAddress address, bool writable, Func<Stream, Stream>? streamSeam)
    {
        _fs = backend.Files;
        Address = address;
        ConfigPath = _fs.Path.Combine(deviceDirectory, "config");
        Stream stream;
        try
        {
            // Through libc: the fd itself (open, lseek for the size), not a FileStream (stat, open, fstat, lseek).
            stream = backend.OpenConfig(ConfigPath, writable, out bool opened, out long size);
            ReportedLength = (int)Math.Min(size, Header.ExtConfigSize);
            Writable = opened;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new DeviceRemovedException(address, 0, $"no sysfs node {ConfigPath}", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigSpaceAccessException(address, 0, $"cannot open {ConfigPath}: {Errno.Describe(e)}", e);
        }
        _stream = streamSeam is null ? stream : streamSeam(stream);
        try
        {
            // Through libc, unwrapped, the open reads the whole space at once; a seam's stream is probed as any other.
            if (backend.ThroughLibc && streamSeam is null) OpeningRead();
            else
            {
                Length = ProbeLength();
                if (Length < 2) throw new DeviceRemovedException(address, 0, $"{ConfigPath} reads {Length} bytes");
                Span<byte> vendor = stackalloc byte[2];
                Read(Header.VendorId, vendor);
            }
        }
        catch
        {
            _stream.Dispose();
            throw;
        }
    }

    public PciAddress Address { get; }
    public string ConfigPath { get; }

    /// <summary>Bytes that can be read (64 for a non-root reader of a larger space).</summary>
    public int Length { get; private set; }

    // The whole space as the open read it (real file system only), until the first access takes or drops it.
    private byte[]? _openingRead;

    /// <summary>
    /// On the real file system the open reads the whole space in one pread: the kernel returns exactly the bytes this
    /// reader may read (all of them, or the first 64, 128 for CardBus, without CAP_SYS_ADMIN), which is what
    /// <see cref="ProbeLength"/> finds a byte at a time, and the vendor ID check needs no read of its own.
    /// <see cref="TakeOpeningRead"/> hands those bytes to the caller that opened the space, so reading a function
    /// whole costs one read, not four.
    /// </summary>
    private void OpeningRead()
    {
        var all = new byte[ReportedLength];
        int n;
        try
        {
            _stream.Position = 0;
            n = _stream.Read(all);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Failure(0, "read", e);
        }
        int length = n;
        foreach (int candidate in ProbeLengths)
            if (candidate <= n) { length = candidate; break; }
        Length = length;
        if (Length < 2) throw new DeviceRemovedException(Address, 0, $"{ConfigPath} reads {Length} bytes");
        if (all[0] == 0xff && all[1] == 0xff)
        {
            Removed = true;
            throw new DeviceRemovedException(Address, Header.VendorId, "vendor ID reads 0xffff: the function no longer answers");
        }
        _openingRead = all.Length == Length ? all : all[..Length];
    }

    /// <summary>The whole space (<see cref="Length"/> bytes) as the open read it, when nothing has been read or
    /// written since; else null (then read it). Only the caller that just opened the space should take it.</summary>
    public byte[]? TakeOpeningRead()
    {
        lock (_lock)
        {
            var bytes = _openingRead;
            _openingRead = null;
            return bytes;
        }
    }

    /// <summary>The size sysfs reports for <c>config</c> (the device's config size: 256 or 4096).</summary>
    public int ReportedLength { get; }

    /// <summary>The kernel gives fewer bytes than the space holds (not root): a capture from here is incomplete.</summary>
    public bool Truncated => Length < ReportedLength;

    /// <summary>Whether the handle is open for writing (false when asked for read-only or the open was refused).</summary>
    public bool Writable { get; }

    /// <summary>Set once an access found the function gone; <see cref="SysfsPciAccess"/> then opens it afresh.</summary>
    public bool Removed { get; private set; }

    public void Read(int offset, Span<byte> buffer)
    {
        if (offset < 0 || buffer.Length == 0 || offset + buffer.Length > ReportedLength)
            throw new ArgumentOutOfRangeException(nameof(offset), $"{Address}: read at 0x{offset:x}+{buffer.Length} is outside the {ReportedLength}-byte config space");
        if (offset + buffer.Length > Length)
            throw new ConfigSpaceAccessException(Address, offset,
                $"only {Length} of {ReportedLength} bytes of {ConfigPath} are readable (the kernel gives a reader without CAP_SYS_ADMIN the first {Length})");
        int n;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _openingRead = null;
            try
            {
                _stream.Position = offset;
                n = _stream.Read(buffer);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw Failure(offset, "read", e);
            }
        }
        if (n != buffer.Length)
            throw Gone(offset) ?? new ConfigSpaceAccessException(Address, offset, $"short read: {n} of {buffer.Length} bytes from {ConfigPath}");
        // All ones is what a removed function answers; the vendor ID tells it from a register that reads all ones.
        if (buffer.IndexOfAnyExcept((byte)0xff) < 0 && VendorIsAllOnes(offset, buffer))
        {
            Removed = true;
            throw new DeviceRemovedException(Address, offset, "vendor ID reads 0xffff: the function no longer answers");
        }
    }

    public void Write(int offset, ReadOnlySpan<byte> value)
    {
        if (value.Length is not (1 or 2 or 4) || offset % value.Length != 0)
            throw new ArgumentException($"{Address}: a config write is 1, 2 or 4 bytes at an offset of that alignment (got {value.Length} at 0x{offset:x})", nameof(value));
        if (offset < 0 || offset + value.Length > ReportedLength)
            throw new ArgumentOutOfRangeException(nameof(offset), $"{Address}: write at 0x{offset:x}+{value.Length} is outside the {ReportedLength}-byte config space");
        if (!Writable)
            throw new ConfigSpaceAccessException(Address, offset, $"{ConfigPath} is open read-only");
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _openingRead = null;
            try
            {
                _stream.Position = offset;
                _stream.Write(value);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw Failure(offset, "write", e);
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            _stream.Dispose();
        }
    }

    internal static string DeviceDirectory(IFileSystem fs, string root, PciAddress address) =>
        fs.Path.Combine(root, "devices", address.ToString());

    /// <summary>The largest of the lengths the kernel hands out whose last byte reads.</summary>
    private int ProbeLength()
    {
        Span<byte> one = stackalloc byte[1];
        foreach (int candidate in ProbeLengths)
        {
            if (candidate > ReportedLength) continue;
            try
            {
                _stream.Position = candidate - 1;
                if (_stream.Read(one) == 1) return candidate;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw Failure(candidate - 1, "read", e);
            }
        }
        // Not one of the kernel's sizes (a hand-made tree): whatever reads from the start.
        Span<byte> all = stackalloc byte[Header.ExtConfigSize];
        _stream.Position = 0;
        return _stream.Read(all[..ReportedLength]);
    }

    private bool VendorIsAllOnes(int offset, ReadOnlySpan<byte> buffer)
    {
        if (offset == 0 && buffer.Length >= 2) return true;
        Span<byte> vendor = stackalloc byte[2];
        lock (_lock)
        {
            try
            {
                _stream.Position = Header.VendorId;
                if (_stream.Read(vendor) != 2) return false;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return false;
            }
        }
        return BinaryPrimitives.ReadUInt16LittleEndian(vendor) == 0xffff;
    }

    private ConfigSpaceAccessException Failure(int offset, string what, Exception e)
    {
        if (Gone(offset, e) is { } gone) return gone;
        string why = Errno.Of(e) switch
        {
            Errno.EPERM when what == "write" => "the kernel refused the config write (EPERM: is the kernel locked down?)",
            Errno.EACCES => "permission denied (EACCES: not root?)",
            _ => Errno.Describe(e),
        };
        return new ConfigSpaceAccessException(Address, offset, $"{what} of {ConfigPath} failed: {why}", e);
    }

    /// <summary>ENODEV, or the node has disappeared: the function was removed.</summary>
    private DeviceRemovedException? Gone(int offset, Exception? e = null)
    {
        bool nodev = e is not null && Errno.Of(e) == Errno.ENODEV;
        if (!nodev && _fs.File.Exists(ConfigPath)) return null;
        Removed = true;
        return new DeviceRemovedException(Address, offset, nodev ? "No such device (ENODEV): the function was removed" : $"{ConfigPath} is gone: the function was removed", e);
    }
}
