using System.IO.Abstractions;

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
            (parts & FunctionInfoParts.Driver) != 0 ? Driver(dir) : null,
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

    private string? Driver(string dir)
    {
        string link = _fs.Path.Combine(dir, "driver");
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

    private IReadOnlyList<BarResource> Resources(string dir)
    {
        string path = _fs.Path.Combine(dir, "resource");
        string text;
        try { text = _fs.File.ReadAllText(path); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) { return []; }
        return SysfsPciAccess.ParseResources(text, path);
    }
}
