using System.IO.Abstractions;
using System.Text;
using Preconfig.ConfigSpace.Native;

namespace Preconfig.ConfigSpace.Sysfs;

/// <summary>A sysfs tree through System.IO.Abstractions: any <see cref="IFileSystem"/>, the tests' seams included.</summary>
internal sealed class FileSystemSysfsBackend(IFileSystem fileSystem) : SysfsBackend(fileSystem)
{
    private readonly IFileSystem _fs = fileSystem;

    public override bool ThroughLibc => false;

    public override List<PciAddress>? ListFunctions(string devices)
    {
        if (!_fs.Directory.Exists(devices)) return null;
        var list = new List<PciAddress>();
        foreach (string entry in _fs.Directory.EnumerateFileSystemEntries(devices))
            if (PciAddress.TryParse(_fs.Path.GetFileName(entry), out var address))
                list.Add(address);
        return list;
    }

    public override PciFunctionInfo Describe(PciAddress address, string dir, FunctionInfoParts parts)
    {
        if (!_fs.Directory.Exists(dir)) throw new DeviceRemovedException(address, 0, $"no sysfs node {dir}");
        return new PciFunctionInfo(
            (parts & FunctionInfoParts.Driver) != 0 ? LinkName(_fs.Path.Combine(dir, "driver")) : null,
            (parts & FunctionInfoParts.ResetMethods) != 0 ? ResetMethods(dir) ?? [] : [],
            (parts & FunctionInfoParts.Resources) != 0 ? Resources(dir) : [],
            (parts & FunctionInfoParts.BootVga) != 0 ? BootVga(dir) : null);
    }

    public override Stream OpenConfig(string path, bool writable, out bool opened, out long size)
    {
        size = _fs.FileInfo.New(path).Length;
        // bufferSize 0: no FileStream buffer, so each Read/Write is exactly one pread/pwrite of the caller's width.
        if (writable)
        {
            try
            {
                opened = true;
                return _fs.FileStream.New(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite, 0, FileOptions.None);
            }
            catch (UnauthorizedAccessException) { }
        }
        opened = false;
        return _fs.FileStream.New(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 0, FileOptions.None);
    }

    /// <summary>The last part of the link's target (<c>driver</c> -> "nvme"), or null when there is no link.</summary>
    private string? LinkName(string link)
    {
        string? target = _fs.FileInfo.New(link).LinkTarget;
        return target is null ? null : _fs.Path.GetFileName(target.TrimEnd('/'));
    }

    /// <summary>The enabled reset methods, in the order the kernel tries them; null when there is no attribute.</summary>
    private string[]? ResetMethods(string dir)
    {
        string path = _fs.Path.Combine(dir, "reset_method");
        // Most functions (host bridges, most ports) have no reset_method: a stat is far cheaper than an exception,
        // which matters when a capture describes a thousand functions.
        if (!_fs.File.Exists(path)) return null;
        try { return _fs.File.ReadAllText(path).Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) { return null; }
    }

    /// <summary>sysfs <c>boot_vga</c> ("1" on the console's VGA device); null when absent or unreadable.</summary>
    private bool? BootVga(string dir)
    {
        string path = _fs.Path.Combine(dir, "boot_vga");
        if (!_fs.File.Exists(path)) return null; // only VGA-class devices have it: no exception per function
        try { return _fs.File.ReadAllText(path).Trim() == "1"; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    public override SysfsFunctionFiles OpenFunctionFiles(string root) => new FunctionFiles(this, root);

    /// <summary>A capture's files through System.IO.Abstractions: each file opened, read once (unbuffered) and closed,
    /// a failure turned into its errno as .NET raised it (<see cref="Errno.Of"/>).</summary>
    private sealed class FunctionFiles(FileSystemSysfsBackend backend, string root) : SysfsFunctionFiles
    {
        private readonly IFileSystem _fs = backend._fs;

        public override int ReadConfig(PciAddress address, Span<byte> buffer, out int errno, out long size) =>
            Read(PathOf(address, "config"), buffer, out errno, out size);

        public override int ReadAttribute(PciAddress address, ReadOnlySpan<byte> name, Span<byte> buffer, out int errno) =>
            Read(PathOf(address, Encoding.UTF8.GetString(name)), buffer, out errno, out _);

        public override string? LinkName(PciAddress address, ReadOnlySpan<byte> name) =>
            backend.LinkName(PathOf(address, Encoding.UTF8.GetString(name)));

        public override string PathOf(PciAddress address, string name) => _fs.Path.Combine(root, "devices", address.ToString(), name);

        private int Read(string path, Span<byte> buffer, out int errno, out long size)
        {
            try
            {
                using var stream = _fs.FileStream.New(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 0, FileOptions.None);
                size = stream.Length;
                errno = 0;
                return stream.Read(buffer);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                (errno, size) = (Errno.Of(e) ?? Errno.EIO, -1);
                return -1;
            }
        }
    }

    private IReadOnlyList<BarResource> Resources(string dir)
    {
        string path = _fs.Path.Combine(dir, "resource");
        string text;
        try { text = _fs.File.ReadAllText(path); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) { return []; }
        return SysfsPciAccess.ParseResources(text, path);
    }
}
