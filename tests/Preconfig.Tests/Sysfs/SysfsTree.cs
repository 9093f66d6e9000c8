
namespace Preconfig.Tests.Sysfs;

/// <summary>A sysfs-shaped temp tree (ROOT/devices/&lt;addr&gt;/...), deleted on dispose. Never the real /sys.</summary>
internal sealed class SysfsTree : IDisposable
{
    public SysfsTree()
    {
        Root = Path.Combine(Path.GetTempPath(), "preconfig-sysfs-" + Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(Path.Combine(Root, "devices"));
    }

    public string Root { get; }
    public IFileSystem FileSystem { get; } = new FileSystem();

    public string DeviceDir(PciAddress address) => Path.Combine(Root, "devices", address.ToString());

    public string AddDevice(PciAddress address, byte[] config)
    {
        string dir = DeviceDir(address);
        Directory.CreateDirectory(dir);
        File.WriteAllBytes(Path.Combine(dir, "config"), config);
        return dir;
    }

    /// <summary>ROOT/drivers/DRIVER and the function's <c>driver</c> link to it, relative as the kernel makes it.</summary>
    public void LinkDriver(PciAddress address, string driver, string suffix = "")
    {
        Directory.CreateDirectory(Path.Combine(Root, "drivers", driver));
        File.CreateSymbolicLink(Path.Combine(DeviceDir(address), "driver"), "../../drivers/" + driver + suffix);
    }

    public void WriteAttribute(PciAddress address, string name, string text) => File.WriteAllText(Path.Combine(DeviceDir(address), name), text);

    public string ReadAttribute(PciAddress address, string name) => File.ReadAllText(Path.Combine(DeviceDir(address), name));

    /// <summary>A config space with the given vendor/device and the rest zero.</summary>
    public static byte[] Config(int length, ushort vendor = 0x8086, ushort device = 0x1234)
    {
        var c = new byte[length];
        c[0] = (byte)vendor; c[1] = (byte)(vendor >> 8);
        c[2] = (byte)device; c[3] = (byte)(device >> 8);
        for (int i = 0x40; i < length; i++) c[i] = (byte)i;
        return c;
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}

/// <summary>
/// Wraps a config stream to behave as the kernel's attribute can: reads past a limit return end of file (a reader
/// without CAP_SYS_ADMIN), reads or writes fail with an errno exactly as .NET raises it on Linux.
/// </summary>
internal sealed class KernelLikeStream(Stream inner) : Stream
{
    public int? ReadableLimit { get; set; }
    public Func<Exception>? ReadFailure { get; set; }
    public Func<Exception>? WriteFailure { get; set; }
    public List<(string Op, long Offset, int Count)> Calls { get; } = [];

    /// <summary>IOException with HResult = errno: what .NET throws for a failed pread/pwrite (checked against a real EIO).</summary>
    public static IOException Errno(int errno, string message) => new(message, errno);

    public override int Read(Span<byte> buffer)
    {
        Calls.Add(("read", Position, buffer.Length));
        if (ReadFailure is not null) throw ReadFailure();
        if (ReadableLimit is { } limit)
        {
            if (Position >= limit) return 0;
            if (Position + buffer.Length > limit) buffer = buffer[..(int)(limit - Position)];
        }
        return inner.Read(buffer);
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        Calls.Add(("write", Position, buffer.Length));
        if (WriteFailure is not null) throw WriteFailure();
        inner.Write(buffer);
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
    public override bool CanRead => inner.CanRead;
    public override bool CanSeek => inner.CanSeek;
    public override bool CanWrite => inner.CanWrite;
    public override long Length => inner.Length;
    public override long Position { get => inner.Position; set => inner.Position = value; }
    public override void Flush() => inner.Flush();
    public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);
    public override void SetLength(long value) => inner.SetLength(value);
    protected override void Dispose(bool disposing) { if (disposing) inner.Dispose(); base.Dispose(disposing); }
}
