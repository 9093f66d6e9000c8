using System.IO.Abstractions;
using Preconfig.Capture.Sources;
using Preconfig.ConfigSpace.Sysfs;
using Preconfig.Handoff.Model;

namespace Preconfig.Capture.Sysfs;

/// <summary>
/// The <c>sysfs[:ROOT]</c> source: every function under <c>ROOT/devices</c>, read-only (capture never writes config
/// space), full length where readable, with the bound driver, <c>reset_method</c> and <c>resource</c>; a function
/// with a driver is <see cref="Pristineness.DriverBound"/>, else <see cref="Pristineness.Undriven"/>. The reading and
/// its failure handling are <see cref="PciAccessSource"/>'s; this adds the live system's host, kernel and boot id.
/// </summary>
public sealed class SysfsSource(IFileSystem fileSystem, string root = SysfsConfigSpace.DefaultRoot, string? description = null) : ISnapshotSource
{
    public string Root { get; } = root;
    public string Description { get; } = description ?? (root == SysfsConfigSpace.DefaultRoot ? "sysfs" : "sysfs:" + root);

    public SourceCapture Capture()
    {
        using var access = new SysfsPciAccess(fileSystem, Root, writable: false);
        return new PciAccessSource(access, Description, LiveSystem.Now(fileSystem))
        {
            // Read through libc (the real file system): the fast path, a third of the syscalls; other file systems keep theirs.
            Reader = access.Backend.ThroughLibc ? addresses => SysfsBulkReader.ReadAll(Root, addresses) : null,
        }.Capture();
    }
}
