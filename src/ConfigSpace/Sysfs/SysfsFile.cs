using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace Preconfig.ConfigSpace.Sysfs;

/// <summary>
/// sysfs files straight through libc, with the fewest syscalls: an attribute is open, one pread, close; a link is
/// one readlink; a missing optional attribute is one failed open (no stat first, no exception). FileStream and File.*
/// add a stat, an fstat and an lseek per file and an exception per missing one; a capture of a thousand functions
/// and preinit's start are bound by exactly these. Paths are UTF-8 and NUL-terminated, built in the caller's buffer
/// (<see cref="SysfsPath"/>), so no string is made per attribute. Used for the real file system only: any other
/// <see cref="System.IO.Abstractions.IFileSystem"/> (tests' seams) keeps going through System.IO.Abstractions.
/// </summary>
internal static unsafe partial class SysfsFile
{
    private const int O_RDONLY = 0, O_RDWR = 2, O_CLOEXEC = 0x80000, SEEK_END = 2;
    // TEMP arm64 (dropped at merge: branch arch-native moves every libc constant into src/ConfigSpace/Native):
    // O_DIRECTORY is 0x10000 on x86-64 and 0x4000 on arm64 (0x10000 is arm64's O_DIRECT).
    private static readonly int O_DIRECTORY = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 0x4000 : 0x10000;

    /// <summary>AT_FDCWD: a path relative to an fd of this value is taken as open(2) takes it.</summary>
    public const int AtCwd = -100;

    /// <summary>
    /// Opens <paramref name="path"/>, relative to the directory <paramref name="directory"/> when given (openat(2)): a
    /// path inside it walks only its own components, where the whole path walks every one of the root's again.
    /// The fd, or -1 with <paramref name="errno"/>.
    /// </summary>
    public static int Open(ReadOnlySpan<byte> path, bool write, out int errno, int directory = AtCwd) =>
        OpenAt(directory, path, (write ? O_RDWR : O_RDONLY) | O_CLOEXEC, out errno);

    private static int OpenAt(int directory, ReadOnlySpan<byte> path, int flags, out int errno)
    {
        fixed (byte* p = path)
        {
            int fd = openat(directory, p, flags);
            errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
            return fd;
        }
    }

    /// <summary>One pread (again on EINTR): the bytes read, or -1 with <paramref name="errno"/>.</summary>
    public static int PRead(int fd, Span<byte> buffer, long offset, out int errno)
    {
        fixed (byte* p = buffer)
        {
            while (true)
            {
                nint n = pread(fd, p, buffer.Length, offset);
                if (n >= 0) { errno = 0; return (int)n; }
                errno = Marshal.GetLastPInvokeError();
                if (errno != Errno.EINTR) return -1;
            }
        }
    }

    /// <summary>One pwrite (again on EINTR): the bytes written, or -1 with <paramref name="errno"/>.</summary>
    public static int PWrite(int fd, ReadOnlySpan<byte> buffer, long offset, out int errno)
    {
        fixed (byte* p = buffer)
        {
            while (true)
            {
                nint n = pwrite(fd, p, buffer.Length, offset);
                if (n >= 0) { errno = 0; return (int)n; }
                errno = Marshal.GetLastPInvokeError();
                if (errno != Errno.EINTR) return -1;
            }
        }
    }

    /// <summary>The file's size (sysfs gives a binary attribute's size: 256 or 4096 for config), or -1 with errno.</summary>
    public static long Size(int fd, out int errno)
    {
        long size = lseek(fd, 0, SEEK_END);
        errno = size < 0 ? Marshal.GetLastPInvokeError() : 0;
        return size;
    }

    public static void Close(int fd) => close(fd);

    /// <summary>
    /// One getdents64(2) of the open directory <paramref name="fd"/> into <paramref name="buffer"/>: the bytes of
    /// entries read (0 at the end), or -1 with <paramref name="errno"/>. <see cref="DirectoryEntries"/> walks them.
    /// </summary>
    public static int ReadEntries(int fd, Span<byte> buffer, out int errno)
    {
        fixed (byte* p = buffer)
        {
            nint n = getdents64(fd, p, buffer.Length);
            errno = n < 0 ? Marshal.GetLastPInvokeError() : 0;
            return (int)n;
        }
    }

    /// <summary>Opens a directory to open paths inside it (<see cref="Open"/>) or list it (<see cref="ReadEntries"/>); the fd, or -1 with <paramref name="errno"/>.</summary>
    public static int OpenDirectory(ReadOnlySpan<byte> path, out int errno) =>
        OpenAt(AtCwd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, out errno);

    /// <summary>Whether <paramref name="path"/> exists (one access(2) with F_OK; a path ending in '/' must be a directory).</summary>
    public static bool Exists(ReadOnlySpan<byte> path)
    {
        fixed (byte* p = path) return access(p, F_OK) == 0;
    }

    private const int F_OK = 0;

    /// <summary>
    /// A whole attribute: open, one pread at 0, close; the bytes read, or -1 with <paramref name="errno"/>. One read is
    /// the whole attribute: sysfs hands a binary attribute (config, at most 4096 bytes) up to the size asked and a
    /// text attribute (at most a page) whole; a regular file in a test tree reads whole into a buffer that size.
    /// </summary>
    public static int ReadAttribute(ReadOnlySpan<byte> path, Span<byte> buffer, out int errno, int directory = AtCwd)
    {
        int fd = Open(path, write: false, out errno, directory);
        if (fd < 0) return -1;
        int n = PRead(fd, buffer, 0, out errno);
        close(fd);
        return n;
    }

    /// <summary>The last part of a link's target (<c>driver</c> -> "nvme"), or null when there is no link.</summary>
    [SkipLocalsInit]
    public static string? LinkName(ReadOnlySpan<byte> path, int directory = AtCwd)
    {
        Span<byte> target = stackalloc byte[512];
        nint n = ReadLink(directory, path, target);
        // A target that fills the buffer may have been cut: again with room for any path.
        if (n == target.Length) n = ReadLink(directory, path, target = new byte[PathMax]);
        if (n <= 0) return null;
        var text = target[..(int)n].TrimEnd((byte)'/');
        return Encoding.UTF8.GetString(text[(text.LastIndexOf((byte)'/') + 1)..]);
    }

    private const int PathMax = 4096;

    private static nint ReadLink(int directory, ReadOnlySpan<byte> path, Span<byte> target)
    {
        fixed (byte* p = path)
        fixed (byte* t = target)
            return readlinkat(directory, p, t, target.Length);
    }

    /// <summary>An IOException as .NET raises it for a failed syscall (HResult = errno; EACCES/EPERM as
    /// UnauthorizedAccessException around it), so <see cref="Errno.Of"/> reads it back.</summary>
    public static Exception Exception(int errno, string path)
    {
        var io = new IOException($"{path}: {Errno.Describe(errno)}", errno);
        return errno is Errno.EACCES or Errno.EPERM ? new UnauthorizedAccessException(io.Message, io) : io;
    }

    [LibraryImport("libc", EntryPoint = "openat", SetLastError = true)]
    private static partial int openat(int directory, byte* path, int flags);

    [LibraryImport("libc", EntryPoint = "pread", SetLastError = true)]
    private static partial nint pread(int fd, byte* buffer, nint count, long offset);

    [LibraryImport("libc", EntryPoint = "pwrite", SetLastError = true)]
    private static partial nint pwrite(int fd, byte* buffer, nint count, long offset);

    [LibraryImport("libc", EntryPoint = "lseek", SetLastError = true)]
    private static partial long lseek(int fd, long offset, int whence);

    [LibraryImport("libc", EntryPoint = "readlinkat", SetLastError = true)]
    private static partial nint readlinkat(int directory, byte* path, byte* buffer, nint size);

    [LibraryImport("libc", EntryPoint = "getdents64", SetLastError = true)]
    private static partial nint getdents64(int fd, byte* buffer, nint size);

    [LibraryImport("libc", EntryPoint = "access")]
    private static partial int access(byte* path, int mode);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int close(int fd);
}

/// <summary>
/// The names in what one <see cref="SysfsFile.ReadEntries"/> read (struct linux_dirent64: d_ino 8 bytes, d_off 8,
/// d_reclen 2, d_type 1, then the NUL-terminated name), "." and ".." included: a listing with no string and no stat
/// per entry.
/// </summary>
internal ref struct DirectoryEntries(ReadOnlySpan<byte> entries)
{
    private const int RecordLength = 16, Name = 19;
    private readonly ReadOnlySpan<byte> _entries = entries;
    private int _next;

    public ReadOnlySpan<byte> Current { get; private set; }

    public readonly DirectoryEntries GetEnumerator() => this;

    public bool MoveNext()
    {
        if (_next + Name >= _entries.Length) return false;
        int length = System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(_entries[(_next + RecordLength)..]);
        if (length <= Name || _next + length > _entries.Length) return false; // not a record the kernel writes
        var name = _entries.Slice(_next + Name, length - Name);
        int end = name.IndexOf((byte)0);
        Current = end < 0 ? name : name[..end];
        _next += length;
        return true;
    }
}

/// <summary>
/// A function's sysfs directory as a NUL-terminated UTF-8 path with room for an attribute name after it: one buffer
/// reused for every attribute of every function (<see cref="Attribute"/>), so reading them makes no strings.
/// </summary>
internal sealed class SysfsPath
{
    private readonly byte[] _buffer = new byte[1024];
    private int _dir, _devices;
    private string? _root;

    /// <summary>Points at ROOT/devices/ADDRESS/ (ROOT/devices/ is written once, then only the address).</summary>
    public SysfsPath At(string root, PciAddress address)
    {
        if (!ReferenceEquals(root, _root))
        {
            _devices = Put(root, 0);
            _devices += Append(root.EndsWith('/') ? "devices/"u8 : "/devices/"u8, _devices);
            _root = root;
        }
        // dddd:bb:dd.f, as PciAddress.ToString and sysfs write it (a domain above ffff in as many digits as it needs).
        var name = _buffer.AsSpan(_devices);
        int n = 0;
        for (int shift = 28; shift >= 0; shift -= 4)
            if (shift < 16 || address.Domain >> shift != 0) name[n++] = Hex(address.Domain >> shift);
        name[n++] = (byte)':';
        name[n++] = Hex(address.Bus >> 4);
        name[n++] = Hex(address.Bus);
        name[n++] = (byte)':';
        name[n++] = Hex(address.Device >> 4);
        name[n++] = Hex(address.Device);
        name[n++] = (byte)'.';
        name[n++] = (byte)('0' + address.Function);
        name[n++] = (byte)'/';
        _dir = _devices + n;
        return this;
    }

    private static byte Hex(int value) => (byte)"0123456789abcdef"[value & 0xf];

    /// <summary>Points at an existing directory (ends without '/').</summary>
    public SysfsPath At(string directory)
    {
        _root = null;
        _dir = Put(directory, 0);
        _buffer[_dir++] = (byte)'/';
        return this;
    }

    /// <summary>DIR/NAME and its NUL, valid until the next call.</summary>
    public ReadOnlySpan<byte> Attribute(ReadOnlySpan<byte> name)
    {
        int n = _dir + Append(name, _dir);
        _buffer[n] = 0;
        return _buffer.AsSpan(0, n + 1);
    }

    /// <summary>The <see cref="Attribute"/> path from ADDRESS on (inside ROOT/devices, after <see cref="At(string, PciAddress)"/>), for an open relative to that directory.</summary>
    public ReadOnlySpan<byte> InDevices(ReadOnlySpan<byte> attribute) => attribute[_devices..];

    /// <summary>ROOT/devices and its NUL, after <see cref="At(string, PciAddress)"/>.</summary>
    public ReadOnlySpan<byte> Devices()
    {
        var copy = new byte[_devices + 1];
        _buffer.AsSpan(0, _devices).CopyTo(copy);
        return copy;
    }

    /// <summary>One path, NUL-terminated, for a single open.</summary>
    public static byte[] Terminated(string path)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(path) + 1];
        Encoding.UTF8.GetBytes(path, bytes);
        return bytes;
    }

    /// <summary>The path as text, for messages.</summary>
    public static string Text(ReadOnlySpan<byte> path) => Encoding.UTF8.GetString(path.TrimEnd((byte)0));

    private int Put(string text, int at)
    {
        if (at + Encoding.UTF8.GetMaxByteCount(text.Length) + 64 > _buffer.Length) throw new PathTooLongException($"{text}: path too long");
        return at + Encoding.UTF8.GetBytes(text, _buffer.AsSpan(at));
    }

    private int Append(ReadOnlySpan<byte> bytes, int at)
    {
        if (at + bytes.Length + 1 > _buffer.Length) throw new PathTooLongException("sysfs path longer than 1 KiB");
        bytes.CopyTo(_buffer.AsSpan(at));
        return bytes.Length;
    }
}
