namespace Preconfig.Tests.Handoff;

/// <summary>
/// issue 24 item 4: a devmem: store writes only inside a range /proc/iomem shows as "Reserved" and nothing else's. The
/// map is a real machine's /proc/iomem (this build host, an EC2 guest, read as root), plus a memmap=64M$0x7c000000
/// reservation and a crashkernel= one as the kernel prints them (kernel/resource.c r_show; e820 names from
/// arch/x86/kernel/e820.c e820_type_to_string). Writes go to a temp file standing in for /dev/mem.
/// </summary>
public sealed class DevMemRangeTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly FileSystem _fs = new();

    public void Dispose() => _dir.Dispose();

    private const string Iomem = """
        00000000-00000fff : Reserved
        00001000-0009fbff : System RAM
        0009fc00-000fffff : Reserved
          000de000-000defff : AMZNC10C:00
          000f0000-000fffff : System ROM
        00100000-7bffffff : System RAM
          01000000-0225a9ff : Kernel code
          02400000-02dfdfff : Kernel rodata
          2b000000-3affffff : Crash kernel
        7c000000-7fffffff : Reserved
        80000000-bfffffff : System RAM
        c0001000-eebfffff : PCI Bus 0000:00
        eec00000-febfffff : Reserved
          eec00000-eecfffff : PCI ECAM 0000 [bus 00-00]
            eec00000-eecfffff : PCI Bus 0000:00
        fec00000-fec003ff : IOAPIC 0
        100000000-63fffffff : System RAM
        4000000000-7fffffffff : PCI Bus 0000:00
          4000000000-400007ffff : 0000:00:01.0
            4000000000-400007ffff : virtio-pci-modern
        """;

    private string Map(string text = Iomem) => _dir.File("iomem", text.Replace("\r", "") + "\n");

    [Theory]
    [InlineData(0x7c000000L, 0x100000L, null)]                                  // the memmap= reservation: written
    [InlineData(0x7ff00000L, 0x100000L, null)]                                  // its last MiB
    [InlineData(0x7ff00000L, 0x200000L, "\"System RAM\" 80000000-bfffffff")]    // runs past it into RAM
    [InlineData(0x30000000L, 0x100000L, "\"Crash kernel\" 2b000000-3affffff")]  // a typo into the crashkernel reservation
    [InlineData(0x02000000L, 0x100000L, "\"Kernel code\"")]                     // or into the running kernel
    [InlineData(0xeec00000L, 0x1000L, "\"PCI Bus 0000:00\" eec00000-eecfffff")] // Reserved, but the ECAM window's
    [InlineData(0x000f0000L, 0x1000L, "\"System ROM\" f0000-fffff")]
    [InlineData(0x4000000000L, 0x1000L, "virtio-pci-modern")]                   // a device's BAR
    [InlineData(0xfee00000L, 0x1000L, "not inside one \"Reserved\" range")]      // nothing there at all
    public void A_range_is_written_only_inside_reserved_memory_of_its_own(long offset, long size, string? conflict)
    {
        string mem = Path.Combine(_dir.Path, "mem");
        var store = new DevMemStore(_fs, mem, offset, size, iomem: Map());
        var snapshot = HandoffTestData.Sample(4);
        if (conflict is null)
        {
            // A sparse file: the offset is a position in it, as in /dev/mem.
            store.Save(snapshot);
            Assert.Equal(snapshot.Devices.Count, store.Load().Blob.Snapshot.Devices.Count);
            return;
        }
        var e = Assert.Throws<StoreRefusedException>(() => store.Save(snapshot));
        Assert.Contains(conflict, e.Message);
        Assert.Contains("not written", e.Message);
        Assert.False(File.Exists(mem));
    }

    [Fact]
    public void A_map_read_without_privilege_or_not_a_map_refuses_with_the_reason()
    {
        string zeros = Map("00000000-00000000 : Reserved\n00000000-00000000 : System RAM");
        var e = Assert.Throws<StoreRefusedException>(() => new DevMemStore(_fs, Path.Combine(_dir.Path, "mem"), 0x7c000000, 0x1000, iomem: zeros)
            .Save(HandoffTestData.Sample(4)));
        Assert.Contains("CAP_SYS_ADMIN", e.Message);

        string bad = _dir.File("bad-iomem", "7c000000-7fffffff : Reserved\nnot a line\n");
        e = Assert.Throws<StoreRefusedException>(() => new DevMemStore(_fs, Path.Combine(_dir.Path, "mem"), 0x7c000000, 0x1000, iomem: bad)
            .Save(HandoffTestData.Sample(4)));
        Assert.Contains($"{bad}:2: not 'start-end : name'", e.Message);
    }

    [Fact]
    public void The_real_dev_mem_is_checked_against_proc_iomem_by_default_and_a_file_is_not()
    {
        Assert.Equal(IomemMap.DefaultPath, ((DevMemStore)HandoffStore.Parse("devmem:/dev/mem@0x7c000000+1M", _fs)).Iomem);
        Assert.Null(((DevMemStore)HandoffStore.Parse($"devmem:{Path.Combine(_dir.Path, "mem")}@0+1M", _fs)).Iomem);
        // This machine's own map parses (read only; nothing is written anywhere).
        Assert.NotEmpty(IomemMap.Load(_fs).Ranges);
    }
}
