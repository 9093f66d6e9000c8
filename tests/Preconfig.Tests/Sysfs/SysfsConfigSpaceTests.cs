using Preconfig.ConfigSpace.Native;

namespace Preconfig.Tests.Sysfs;

public sealed class SysfsConfigSpaceTests : IDisposable
{
    private static readonly PciAddress Addr = PciAddress.Parse("0000:03:00.0");
    private readonly SysfsTree _tree = new();

    public void Dispose() => _tree.Dispose();

    private (SysfsConfigSpace Space, KernelLikeStream Stream) OpenWithSeam(byte[] config, Action<KernelLikeStream>? before = null, bool writable = true)
    {
        string dir = _tree.AddDevice(Addr, config);
        KernelLikeStream? seam = null;
        var space = new SysfsConfigSpace(_tree.FileSystem, dir, Addr, writable, s =>
        {
            seam = new KernelLikeStream(s);
            before?.Invoke(seam);
            return seam;
        });
        return (space, seam!);
    }

    [Fact]
    public void Reads_and_writes_the_config_file_at_the_offset_with_one_access_of_the_requested_width()
    {
        var (space, stream) = OpenWithSeam(SysfsTree.Config(4096));
        using (space)
        {
            Assert.Equal(4096, space.Length);
            Assert.Equal(4096, space.ReportedLength);
            Assert.False(space.Truncated);
            Assert.Equal(0x12348086u, space.ReadDword(0));
            stream.Calls.Clear();

            space.WriteWord(0x04, 0x0406);
            space.WriteByte(0x3c, 0x0b);
            space.WriteDword(0x100, 0xdeadbeef);
            Assert.Equal([("write", 4L, 2), ("write", 0x3cL, 1), ("write", 0x100L, 4)], stream.Calls);

            stream.Calls.Clear();
            Assert.Equal(0xdeadbeefu, space.ReadDword(0x100));
            Assert.Equal([("read", 0x100L, 4)], stream.Calls);
        }
        var file = File.ReadAllBytes(Path.Combine(_tree.DeviceDir(Addr), "config"));
        Assert.Equal(4096, file.Length);
        Assert.Equal([0x06, 0x04], file[4..6]);
        Assert.Equal(0x0b, file[0x3c]);
        Assert.Equal([0xef, 0xbe, 0xad, 0xde], file[0x100..0x104]);
    }

    [Fact]
    public void A_non_root_reader_sees_64_bytes_of_4096_and_that_is_reported_as_truncated()
    {
        var (space, _) = OpenWithSeam(SysfsTree.Config(4096), s => s.ReadableLimit = 64);
        using var _ = space;
        Assert.Equal(64, space.Length);
        Assert.Equal(4096, space.ReportedLength);
        Assert.True(space.Truncated);
        Assert.Equal(64, space.ReadAll().Length);
        var e = Assert.Throws<ConfigSpaceAccessException>(() => space.ReadDword(0x100));
        Assert.Contains("0000:03:00.0", e.Message);
        Assert.Contains("64 of 4096", e.Message);
        Assert.Equal(0x100, e.Offset);
    }

    [Fact]
    public void A_cardbus_reader_without_root_sees_128_bytes_of_256()
    {
        var (space, _) = OpenWithSeam(SysfsTree.Config(256), s => s.ReadableLimit = 128);
        using var _ = space;
        Assert.Equal(128, space.Length);
        Assert.True(space.Truncated);
    }


    [Fact]
    public void Net_raises_a_real_EIO_as_IOException_with_the_errno_as_HResult()
    {
        // Pins the convention the seam below relies on: reading unmapped memory of /proc/self/mem is a real EIO.
        using var mem = new FileStream("/proc/self/mem", FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 0);
        mem.Position = 0;
        var e = Assert.ThrowsAny<IOException>(() => mem.Read(new byte[4]));
        Assert.Equal(Errno.EIO, e.HResult);
        Assert.Equal("Input/output error (EIO)", Errno.Describe(e));
    }

    [Fact]
    public void EIO_on_a_read_is_an_access_error_naming_the_device_and_offset()
    {
        var (space, stream) = OpenWithSeam(SysfsTree.Config(256));
        using var _ = space;
        stream.ReadFailure = () => KernelLikeStream.Errno(Errno.EIO, "Input/output error");
        var e = AssertAccessError(() => space.ReadWord(0x06), 6, "EIO", "0x6");
        Assert.IsNotType<DeviceRemovedException>(e);
    }

    private static ConfigSpaceAccessException AssertAccessError(Action access, int offset, params string[] said)
    {
        var e = Assert.Throws<ConfigSpaceAccessException>(access);
        Assert.Equal(Addr, e.Address);
        Assert.Equal(offset, e.Offset);
        Assert.Contains("0000:03:00.0", e.Message);
        foreach (var s in said) Assert.Contains(s, e.Message);
        return e;
    }

    [Fact]
    public void EPERM_on_a_write_says_the_kernel_refused_it_lockdown()
    {
        var (space, stream) = OpenWithSeam(SysfsTree.Config(256));
        using var _ = space;
        // What .NET throws for EPERM from pwrite: UnauthorizedAccessException around IOException(errno).
        stream.WriteFailure = () => new UnauthorizedAccessException("Access to the path is denied.", KernelLikeStream.Errno(Errno.EPERM, "Operation not permitted"));
        AssertAccessError(() => space.WriteWord(0x04, 0x0007), 4, "EPERM", "locked down");
    }






    [Fact]
    public void ENODEV_after_the_directory_is_removed_is_a_removed_device()
    {
        var (space, stream) = OpenWithSeam(SysfsTree.Config(256));
        using var _ = space;
        Directory.Delete(_tree.DeviceDir(Addr), recursive: true);
        stream.ReadFailure = () => KernelLikeStream.Errno(Errno.ENODEV, "No such device");
        var e = Assert.Throws<DeviceRemovedException>(() => space.ReadDword(0));
        Assert.Contains("ENODEV", e.Message);
    }

    [Fact]
    public void Any_failure_once_the_node_is_gone_is_a_removed_device()
    {
        var (space, stream) = OpenWithSeam(SysfsTree.Config(256));
        using var _ = space;
        Directory.Delete(_tree.DeviceDir(Addr), recursive: true);
        stream.WriteFailure = () => KernelLikeStream.Errno(Errno.EIO, "Input/output error");
        var e = Assert.Throws<DeviceRemovedException>(() => space.WriteWord(4, 0));
        Assert.Contains("gone", e.Message);
    }
}
