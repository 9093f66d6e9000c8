using System.IO.Abstractions;
using System.Runtime.CompilerServices;
using Preconfig.ConfigSpace.Native;

namespace Preconfig.ConfigSpace.Sysfs;

/// <summary>
/// A sysfs tree straight through libc (<see cref="SysfsFile"/>): the real file system, /sys in production and the
/// sysfs-shaped temp trees the tests write (never the real /sys for writes).
/// </summary>
internal sealed class LibcSysfsBackend(IFileSystem files) : SysfsBackend(files)
{
    private readonly SysfsPath _describePath = new(); // also Describe's lock

    public override bool ThroughLibc => true;

    public override Stream OpenConfig(string path, bool writable, out bool opened, out long size)
    {
        var stream = FdStream.Open(path, writable);
        (opened, size) = (stream.CanWrite, stream.Length);
        return stream;
    }

    /// <summary>
    /// The names of ROOT/devices on the real file system, straight from getdents64: no stat and no string per entry,
    /// where FileSystemEnumerable made one (with the address parse, 2.0 M -> 1.5 M instructions for 870 functions).
    /// </summary>
    [SkipLocalsInit]
    public override List<PciAddress>? ListFunctions(string devices)
    {
        int fd = SysfsFile.OpenDirectory(SysfsPath.Terminated(devices), out int errno);
        if (fd < 0 && errno is Errno.ENOENT or Errno.ENOTDIR) return null;
        if (fd < 0) throw SysfsFile.Exception(errno, devices);
        try
        {
            var list = new List<PciAddress>();
            var buffer = new byte[32 * 1024];
            Span<char> text = stackalloc char[64];
            int n;
            while ((n = SysfsFile.ReadEntries(fd, buffer, out errno)) > 0)
                foreach (var name in new DirectoryEntries(buffer.AsSpan(0, n)))
                {
                    // A function's name is ASCII ("0000:00:1c.0"): widened in place, no string made.
                    if (name.Length > text.Length) continue;
                    for (int i = 0; i < name.Length; i++) text[i] = (char)name[i];
                    if (PciAddress.TryParse(text[..name.Length], out var address)) list.Add(address);
                }
            if (n < 0) throw SysfsFile.Exception(errno, devices);
            return list;
        }
        finally
        {
            SysfsFile.Close(fd);
        }
    }

    /// <summary>
    /// <see cref="SysfsPciAccess.Describe(PciAddress, FunctionInfoParts)"/> on the real file system: the same answers
    /// and errors with a fraction of the syscalls (<see cref="SysfsFile"/>: one readlink, one failed open per absent attribute,
    /// open/pread/close per present one, and no path made absolute).
    /// </summary>
    // SkipLocalsInit below: zeroing the 4 KiB read buffer cost more than the parse.
    public override PciFunctionInfo Describe(PciAddress address, string dir, FunctionInfoParts parts)
    {
        lock (_describePath) return Describe(address, dir, _describePath.At(dir), parts);
    }

    [SkipLocalsInit]
    private static PciFunctionInfo Describe(PciAddress address, string dir, SysfsPath path, FunctionInfoParts parts)
    {
        // A function with a driver link is there; without one, whether its directory is (one access(2), where
        // Directory.Exists makes the path absolute first: getcwd and stat).
        string? driver = (parts & FunctionInfoParts.Driver) != 0 ? SysfsFile.LinkName(path.Attribute("driver"u8)) : null;
        if (driver is null && !SysfsFile.Exists(path.Attribute(""u8))) throw new DeviceRemovedException(address, 0, $"no sysfs node {dir}");

        Span<byte> text = stackalloc byte[4096];
        IReadOnlyList<string> methods = [];
        if ((parts & FunctionInfoParts.ResetMethods) != 0)
        {
            var methodsPath = path.Attribute("reset_method"u8);
            int n = SysfsFile.ReadAttribute(methodsPath, text, out int errno);
            if (n < 0 && errno is not (Errno.ENOENT or Errno.ENOTDIR)) throw SysfsFile.Exception(errno, SysfsPath.Text(methodsPath));
            if (n >= 0) methods = SysfsPciAccess.ParseResetMethods(text[..n]);
        }

        IReadOnlyList<BarResource> resources = [];
        if ((parts & FunctionInfoParts.Resources) != 0)
        {
            var resourcePath = path.Attribute("resource"u8);
            int n = SysfsFile.ReadAttribute(resourcePath, text, out int errno);
            if (n < 0 && errno is not (Errno.ENOENT or Errno.ENOTDIR)) throw SysfsFile.Exception(errno, SysfsPath.Text(resourcePath));
            if (n >= 0) resources = SysfsPciAccess.ParseResources(text[..n], SysfsPath.Text(resourcePath));
        }

        // Only VGA-class devices have boot_vga; unreadable counts as unknown, as in the general path.
        bool? bootVga = null;
        if ((parts & FunctionInfoParts.BootVga) != 0)
        {
            int n = SysfsFile.ReadAttribute(path.Attribute("boot_vga"u8), text, out _);
            bootVga = n < 0 ? null : text[..n].Trim(SysfsPciAccess.AsciiWhiteSpace).SequenceEqual("1"u8);
        }
        return new PciFunctionInfo(driver, methods, resources, bootVga);
    }

    public override SysfsFunctionFiles OpenFunctionFiles(string root) => new FunctionFiles(root);

    /// <summary>
    /// A capture's files with the fewest syscalls (<see cref="SysfsFile"/>): config is open, one pread, close (an lseek
    /// for the size only when the kernel handed 64 or 128 bytes); a link is one readlink. Every path is opened relative
    /// to ROOT/devices, opened once (openat, readlinkat): the kernel walks ADDRESS/config, not the root's components
    /// again for every file. Paths are built in one reused buffer, so no string is made per file.
    /// </summary>
    private sealed class FunctionFiles(string root) : SysfsFunctionFiles
    {
        private readonly SysfsPath _path = new();
        // ROOT/devices, opened at the first read; AtCwd (whole paths) if it cannot be opened, so the errors stay per file.
        private int _devices = int.MinValue;

        /// <summary>ADDRESS/NAME inside ROOT/devices, opened relative to <paramref name="directory"/> (whole when that is AtCwd).</summary>
        private ReadOnlySpan<byte> Path(PciAddress address, ReadOnlySpan<byte> name, out int directory)
        {
            _path.At(root, address);
            if (_devices == int.MinValue)
            {
                _devices = SysfsFile.OpenDirectory(_path.Devices(), out _);
                if (_devices < 0) _devices = SysfsFile.AtCwd;
            }
            var whole = _path.Attribute(name);
            directory = _devices >= 0 ? _devices : SysfsFile.AtCwd;
            return _devices >= 0 ? _path.InDevices(whole) : whole;
        }

        public override int ReadConfig(PciAddress address, Span<byte> buffer, out int errno, out long size)
        {
            size = -1;
            int fd = SysfsFile.Open(Path(address, "config"u8, out int directory), write: false, out errno, directory);
            if (fd < 0) return -1;
            int n = SysfsFile.PRead(fd, buffer, 0, out errno);
            if (n is 64 or 128) size = SysfsFile.Size(fd, out _);
            SysfsFile.Close(fd);
            return n;
        }

        public override int ReadAttribute(PciAddress address, ReadOnlySpan<byte> name, Span<byte> buffer, out int errno) =>
            SysfsFile.ReadAttribute(Path(address, name, out int directory), buffer, out errno, directory);

        public override string? LinkName(PciAddress address, ReadOnlySpan<byte> name) =>
            SysfsFile.LinkName(Path(address, name, out int directory), directory);

        public override string PathOf(PciAddress address, string name) =>
            SysfsPath.Text(_path.At(root, address).Attribute(System.Text.Encoding.UTF8.GetBytes(name)));

        public override void Dispose()
        {
            if (_devices >= 0) SysfsFile.Close(_devices);
            _devices = SysfsFile.AtCwd;
        }
    }

    /// <summary>
    /// Positioned reads and writes on a libc fd (<see cref="SysfsFile"/>): each Read/Write is exactly one pread/pwrite
    /// of the caller's width at <see cref="Position"/>, as FileStream with bufferSize 0 does, without its open-time
    /// stat, fstat and lseek. Failures are raised as .NET raises them (IOException with HResult = errno).
    /// </summary>
    private sealed class FdStream : Stream
    {
        private readonly string _path;
        private int _fd;

        private FdStream(int fd, string path, bool writable, long length)
        {
            _fd = fd;
            _path = path;
            CanWrite = writable;
            Length = length;
        }

        /// <summary>Opens for reading and writing when asked and allowed, else read-only (as <see cref="FileSystemSysfsBackend.OpenConfig"/>).</summary>
        public static FdStream Open(string path, bool writable)
        {
            var name = SysfsPath.Terminated(path);
            int errno = 0, fd = -1;
            if (writable) fd = SysfsFile.Open(name, write: true, out errno);
            bool opened = fd >= 0;
            if (fd < 0 && (!writable || errno is Errno.EACCES or Errno.EPERM)) fd = SysfsFile.Open(name, write: false, out errno);
            if (fd < 0)
                throw errno is Errno.ENOENT or Errno.ENOTDIR ? new FileNotFoundException($"{path}: no such file", path) : SysfsFile.Exception(errno, path);
            long length = SysfsFile.Size(fd, out errno);
            if (length < 0)
            {
                SysfsFile.Close(fd);
                throw SysfsFile.Exception(errno, path);
            }
            return new FdStream(fd, path, opened, length);
        }

        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite { get; }
        public override long Length { get; }
        public override long Position { get; set; }

        public override int Read(Span<byte> buffer)
        {
            ObjectDisposedException.ThrowIf(_fd < 0, this);
            int n = SysfsFile.PRead(_fd, buffer, Position, out int errno);
            if (n < 0) throw SysfsFile.Exception(errno, _path);
            Position += n;
            return n;
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            ObjectDisposedException.ThrowIf(_fd < 0, this);
            int n = SysfsFile.PWrite(_fd, buffer, Position, out int errno);
            if (n < 0) throw SysfsFile.Exception(errno, _path);
            if (n != buffer.Length) throw new IOException($"{_path}: short write ({n} of {buffer.Length} bytes)");
            Position += n;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
        public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => Position + offset,
            _ => Length + offset,
        };
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Flush() { }

        protected override void Dispose(bool disposing)
        {
            if (_fd >= 0) SysfsFile.Close(_fd);
            _fd = -1;
            base.Dispose(disposing);
        }
    }
}
