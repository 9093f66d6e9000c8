using System.IO.Abstractions;
using Preconfig.Capture.Sources;
using Preconfig.ConfigSpace.Sysfs;
using Preconfig.Handoff.Model;

namespace Preconfig.Capture.Sysfs;

/// <summary>
/// The <c>sysfs[:ROOT]</c> source: every function under <c>ROOT/devices</c>, read-only (capture never writes config
/// space), full length where readable, with the bound driver and, where a BAR or ROM register is set, <c>resource</c>; a function
/// with a driver is <see cref="Pristineness.DriverBound"/>, else <see cref="Pristineness.Undriven"/>. SR-IOV
/// virtual functions (a <c>physfn</c> link) are left out unless asked for. The reading is
/// <see cref="SysfsPciAccess.ReadFunctions"/> (through the backend <see cref="SysfsPciAccess"/> chose for the file
/// system), its failure handling <see cref="PciAccessSource"/>'s; this adds the live system's host, kernel and boot id.
/// </summary>
public sealed class SysfsSource(IFileSystem fileSystem, string root = SysfsConfigSpace.DefaultRoot, string? description = null) : ISnapshotSource
{
    /// <summary>Capture SR-IOV virtual functions too (left out by default: <see cref="PciAccessSource.IncludeVirtualFunctions"/>).</summary>
    public bool IncludeVirtualFunctions { get; init; }

    public string Root { get; } = root;
    public string Description { get; } = description ?? (root == SysfsConfigSpace.DefaultRoot ? "sysfs" : "sysfs:" + root);

    public SourceCapture Capture()
    {
        using var access = new SysfsPciAccess(fileSystem, Root, writable: false);
        return new PciAccessSource(access, Description, LiveSystem.Now(fileSystem))
        {
            // The kernel links a VF to its PF as physfn (drivers/pci/iov.c, pci_iov_sysfs_link).
            IsVirtualFunction = a => fileSystem.Directory.Exists(fileSystem.Path.Combine(Root, "devices", a.ToString(), "physfn")),
            IncludeVirtualFunctions = IncludeVirtualFunctions,
        }.Capture() with { Live = true };
    }
}
