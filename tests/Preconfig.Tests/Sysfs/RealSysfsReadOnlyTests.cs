using Preconfig.Tests.Lspci;

namespace Preconfig.Tests.Sysfs;

/// <summary>READ-ONLY against this machine's real /sys/bus/pci: every handle is opened without write access.</summary>
public sealed class RealSysfsReadOnlyTests
{
    /// <summary>
    /// The capture reads <c>resource</c> only where a BAR or the ROM register is set (PciAccessSource.Kept): the
    /// kernel (the oracle) must then size nothing the capture leaves out. Every BAR and ROM line of every function's
    /// resource file, read here apart, is in the capture.
    /// </summary>
    [Fact]
    public void A_capture_of_real_sysfs_keeps_every_BAR_and_ROM_the_kernel_sizes()
    {
        var capture = new SysfsSource(new FileSystem()).Capture();
        using var pci = new SysfsPciAccess(new FileSystem(), SysfsConfigSpace.DefaultRoot, writable: false);
        Assert.NotEmpty(capture.Devices);
        foreach (var d in capture.Devices)
        {
            var kernel = pci.Describe(d.Address, FunctionInfoParts.Resources).Resources.Where(r => r.Index <= BarInfoRom && r.Size > 0);
            Assert.Equal(kernel, d.Resources.Where(r => r.Index <= BarInfoRom && r.Size > 0));
            Assert.Empty(d.ResetMethods);
        }
    }

    private const int BarInfoRom = 6; // resource line of the expansion ROM; 0-5 are the BARs

    [Fact]
    public void Real_sysfs_config_matches_lspci_xxxx_of_the_same_devices()
    {
        using var pci = new SysfsPciAccess(new FileSystem(), SysfsConfigSpace.DefaultRoot, writable: false);
        var addresses = pci.EnumerateFunctions();
        Assert.NotEmpty(addresses); // a Linux machine with a PCI bus; there is nothing to compare otherwise

        var lspci = ExternalTool.Run(ExternalTool.Lspci, "-D", "-xxxx");
        Assert.Equal(0, lspci.ExitCode);
        var dump = LspciDumpReader.Parse(lspci.Stdout, "lspci -D -xxxx");
        Assert.Empty(dump.Problems);
        Assert.Equal(addresses, dump.Functions.Select(f => f.Address).Order());

        foreach (var fn in dump.Functions)
        {
            var space = pci.OpenSysfs(fn.Address);
            Assert.False(space.Writable);
            // As root both see the whole space; without root both see the same first 64 bytes.
            Assert.Equal(Environment.IsPrivilegedProcess, !space.Truncated);
            int n = Math.Min(space.Length, fn.Config.Length);
            Assert.True(n >= 64);
            var bytes = new byte[n];
            space.Read(0, bytes);
            Assert.True(fn.Config.AsSpan(0, n).SequenceEqual(bytes), $"{fn.Address}: sysfs config differs from lspci -xxxx");
        }
    }
}
