using System.IO.Abstractions.TestingHelpers;
using System.Runtime.InteropServices;
using Preconfig.Handoff.Stores;

namespace Preconfig.Tests.Handoff;

/// <summary>
/// A devmem: range must not be System RAM (<see cref="SystemRam"/>): arm64 has no memmap=, so an x86 habit
/// (devmem:/dev/mem@ADDR with ADDR in RAM) would hand the handoff to memory the kernel allocates. The /proc/iomem
/// texts follow kernel/resource.c's r_show ("%0*llx-%0*llx : %s", children indented two spaces); the arm64 one is the
/// layout QEMU's virt machine gives a 1 GiB guest with a no-map /reserved-memory node (arch/arm64/kernel/setup.c
/// request_standard_resources lists no-map memory as "reserved", the rest as "System RAM").
/// </summary>
public class DevMemSystemRamTests
{
    private const string Arm64Iomem = """
        00000000-03ffffff : 0.flash flash@0
        04000000-07ffffff : 0.flash flash@0
        09000000-09000fff : pl011@9000000
          09000000-09000fff : 9000000.pl011 pl011@9000000
        10000000-3efeffff : pcie@10000000
        40000000-4fdfffff : System RAM
          40210000-4176ffff : Kernel code
          41770000-41b4ffff : reserved
        4fe00000-4fffffff : reserved
        50000000-7fffffff : System RAM
          7c000000-7fffffff : Crash kernel
        4010000000-401fffffff : PCI ECAM
        """;

    private readonly MockFileSystem _fs = new();

    private DevMemStore Region(string iomem, long offset, long size = 0x100000)
    {
        _fs.AddFile("/proc/iomem", new MockFileData(iomem));
        // /dev/mem itself is never opened by a refused store; the mock has none.
        return new DevMemStore(_fs, "/dev/mem", offset, size);
    }

    [Fact]
    public void ARangeInSystemRamIsRefusedBeforeDevMemIsOpenedNamingTheIomemLine()
    {
        var store = Region(Arm64Iomem, 0x50000000);
        Assert.Equal("/proc/iomem", store.Iomem);
        var load = Assert.Throws<UnauthorizedAccessException>(() => store.Load());
        Assert.Contains("0x50000000-0x500fffff is System RAM (/proc/iomem line 10: '50000000-7fffffff : System RAM')", load.Message);
        var save = Assert.Throws<UnauthorizedAccessException>(() => store.Save(HandoffTestData.Sample(4, 1)));
        Assert.Equal(load.Message, save.Message);
        // A range straddling the end of the reserved block and the start of RAM is refused as well.
        Assert.Throws<UnauthorizedAccessException>(() => Region(Arm64Iomem, 0x4ff80000).Load());
    }

    [Fact]
    public void TheRefusalSaysHowToReserveTheRangeOnEachArchitecture()
    {
        void Check(Architecture arch, string advice)
        {
            var e = Assert.Throws<UnauthorizedAccessException>(() =>
                SystemRam.RequireOutside(_fs, "/proc/iomem", "devmem:/dev/mem@0x50000000+1M", 0x50000000, 0x100000, arch));
            Assert.Contains(advice, e.Message);
        }
        _fs.AddFile("/proc/iomem", new MockFileData(Arm64Iomem));
        Check(Architecture.Arm64, "arm64 has no memmap=: reserve it with a device-tree /reserved-memory node marked no-map");
        Check(Architecture.X64, "memmap=0x100000$0x50000000");
    }

    [Fact]
    public void AReservedRangeIsAcceptedAndAStoreOverAFileIsNotChecked()
    {
        // A no-map reserved block (not System RAM): the store goes on to /dev/mem, which the mock lacks.
        Assert.Throws<FileNotFoundException>(() => Region(Arm64Iomem, 0x4fe00000).Load());
        // The same range over a regular file (tests, images): no /proc/iomem is consulted.
        var file = new DevMemStore(_fs, "/srv/mem.img", 0x50000000, 0x100000);
        Assert.Null(file.Iomem);
    }

    [Fact]
    public void IomemReadWithoutPrivilegeShowsNoAddressesAndRefusesNothing()
    {
        // r_show prints every address as 0 to a reader without CAP_SYS_ADMIN.
        string hidden = "00000000-00000000 : System RAM\n  00000000-00000000 : Kernel code\n";
        Assert.Throws<FileNotFoundException>(() => Region(hidden, 0x50000000).Load());
    }
}
