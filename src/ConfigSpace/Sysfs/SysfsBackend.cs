using System.IO.Abstractions;

namespace Preconfig.ConfigSpace.Sysfs;

/// <summary>
/// How a sysfs tree is read, chosen once per <see cref="SysfsPciAccess"/> (and <see cref="SysfsConfigSpace"/>) by
/// <see cref="For"/>: straight through libc on the real file system (<see cref="LibcSysfsBackend"/>: the fewest
/// syscalls, what production runs on /sys), through System.IO.Abstractions on any other
/// (<see cref="FileSystemSysfsBackend"/>: the seams tests use). Both give the same answers and the same errors on the
/// same tree: one contract test suite runs against each (tests/…/Sysfs/SysfsBackendContract.cs).
/// </summary>
internal abstract class SysfsBackend(IFileSystem files)
{
    /// <summary>The one choice of backend: libc for the real file system, else through <paramref name="fileSystem"/>.</summary>
    public static SysfsBackend For(IFileSystem fileSystem) =>
        fileSystem is FileSystem ? new LibcSysfsBackend(fileSystem) : new FileSystemSysfsBackend(fileSystem);

    /// <summary>Paths, and what both backends do the same way (reset attribute writes, existence after a failure).</summary>
    public IFileSystem Files { get; } = files;

    /// <summary>Reads through libc: a config space's open then reads the whole space in the same go (<see cref="SysfsConfigSpace"/>).</summary>
    public abstract bool ThroughLibc { get; }

    /// <summary>The files a capture reads under <paramref name="root"/>, for one thread (<see cref="SysfsFunctionReader"/>).</summary>
    public abstract SysfsFunctionFiles OpenFunctionFiles(string root);

    /// <summary>The addresses named by the entries of <paramref name="devices"/>, unsorted; null when there is no such directory.</summary>
    public abstract List<PciAddress>? ListFunctions(string devices);

    /// <summary>The parts asked for of the function in <paramref name="directory"/>; <see cref="DeviceRemovedException"/> when it is not there.</summary>
    public abstract PciFunctionInfo Describe(PciAddress address, string directory, FunctionInfoParts parts);

    /// <summary>
    /// Opens a config file unbuffered (each Read/Write one pread/pwrite of the caller's width), read-write when
    /// <paramref name="writable"/> and allowed, else read-only (<paramref name="opened"/> says which), with the size
    /// the file reports. <see cref="FileNotFoundException"/> when it is not there.
    /// </summary>
    public abstract Stream OpenConfig(string path, bool writable, out bool opened, out long size);
}
