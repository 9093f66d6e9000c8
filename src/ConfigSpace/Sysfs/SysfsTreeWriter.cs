using System.Globalization;
using System.IO.Abstractions;
using System.Text;
using Preconfig.ConfigSpace.Registers;
using Preconfig.ConfigSpace.Simulation;

namespace Preconfig.ConfigSpace.Sysfs;

/// <summary>
/// Writes a simulated machine as a sysfs-shaped tree, <c>DIR/devices/&lt;dddd:bb:dd.f&gt;/</c>, with the attributes
/// pciutils' linux-sysfs backend and <see cref="SysfsPciAccess"/> read, in the kernel's text formats
/// (drivers/pci/pci-sysfs.c): <c>config</c> (the bytes), <c>vendor</c>/<c>device</c>/<c>subsystem_*</c>
/// "0x%04x\n", <c>class</c> "0x%06x\n", <c>revision</c> "0x%02x\n", <c>irq</c> "%u\n", <c>resource</c>
/// "0x%016llx 0x%016llx 0x%016llx\n" per resource, plus <c>reset_method</c>, an empty <c>reset</c> and a
/// <c>driver</c> link where the machine says so.
/// </summary>
public static class SysfsTreeWriter
{
    public static void Write(SimulatedMachine machine, IFileSystem fs, string root)
    {
        string devices = fs.Path.Combine(root, "devices");
        fs.Directory.CreateDirectory(devices);
        foreach (var function in machine.Functions)
        {
            string dir = fs.Path.Combine(devices, function.Address.ToString());
            fs.Directory.CreateDirectory(dir);
            byte[] cfg = function.Space.Snapshot();
            fs.File.WriteAllBytes(fs.Path.Combine(dir, "config"), cfg);
            foreach (var (name, text) in Attributes(cfg, function.Space.Bars))
                fs.File.WriteAllText(fs.Path.Combine(dir, name), text);
            if (function.ResetMethods.Count > 0)
            {
                fs.File.WriteAllText(fs.Path.Combine(dir, "reset_method"), string.Join(' ', function.ResetMethods) + "\n");
                fs.File.WriteAllText(fs.Path.Combine(dir, "reset"), "");
            }
            if (function.BootVga is { } bootVga)
                fs.File.WriteAllText(fs.Path.Combine(dir, "boot_vga"), bootVga ? "1\n" : "0\n");
            string link = fs.Path.Combine(dir, "driver");
            if (fs.FileInfo.New(link).LinkTarget is not null) fs.File.Delete(link);
            if (function.Driver is { Length: > 0 } driver)
            {
                fs.Directory.CreateDirectory(fs.Path.Combine(root, "drivers", driver));
                // System.IO.Abstractions 17 has no symlink call; the tree is always on a real file system.
                File.CreateSymbolicLink(link, $"../../drivers/{driver}");
            }
        }
    }

    /// <summary>The text attributes of one function, as (file name, content).</summary>
    public static IEnumerable<(string Name, string Text)> Attributes(ReadOnlySpan<byte> cfg, IReadOnlyList<BarModel> bars)
    {
        var (subVendor, subDevice) = SubsystemIds(cfg);
        var resource = new StringBuilder();
        foreach (var r in SysfsResources.FromConfig(cfg, bars))
            resource.Append(CultureInfo.InvariantCulture, $"0x{r.Start:x16} 0x{r.End:x16} 0x{r.Flags:x16}\n");
        return
        [
            ("vendor", Hex(ConfigBytes.VendorId(cfg), 4)),
            ("device", Hex(ConfigBytes.DeviceId(cfg), 4)),
            ("subsystem_vendor", Hex(subVendor, 4)),
            ("subsystem_device", Hex(subDevice, 4)),
            ("class", Hex(ConfigBytes.ClassCode(cfg), 6)),
            ("revision", Hex(ConfigBytes.Revision(cfg), 2)),
            // The kernel's IRQ number; a simulated machine has no interrupt controller, so the Interrupt Line stands in.
            ("irq", string.Create(CultureInfo.InvariantCulture, $"{ConfigBytes.U8(cfg, Header.InterruptLine)}\n")),
            ("resource", resource.ToString()),
        ];
    }

    /// <summary>Subsystem IDs as the kernel reads them: the header for types 0 and 2, the SSVID capability for a bridge.</summary>
    private static (ushort Vendor, ushort Device) SubsystemIds(ReadOnlySpan<byte> cfg)
    {
        if (ConfigBytes.HeaderKind(cfg) != HeaderType.Bridge) return (ConfigBytes.SubsystemVendorId(cfg), ConfigBytes.SubsystemId(cfg));
        var ssvid = CapabilityWalker.Walk(cfg).Find(CapabilityId.SubsystemVendor);
        return ssvid is { } cap ? (ConfigBytes.U16(cfg, cap.Offset + 4), ConfigBytes.U16(cfg, cap.Offset + 6)) : ((ushort)0, (ushort)0);
    }

    private static string Hex(uint value, int digits) => "0x" + value.ToString("x" + digits, CultureInfo.InvariantCulture) + "\n";
}
