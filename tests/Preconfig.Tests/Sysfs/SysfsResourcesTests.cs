using Preconfig.ConfigSpace.Registers;

namespace Preconfig.Tests.Sysfs;

/// <summary>When a capture reads a function's <c>resource</c> (<see cref="SysfsResources.HasBarOrRom"/>), by the header layouts of PCI Local Bus 3.0 6.1 and PCI-to-PCI Bridge 1.2 3.2.</summary>
public sealed class SysfsResourcesTests
{
    private static byte[] Config(byte headerType, params (int Offset, uint Value)[] dwords)
    {
        var c = SysfsTree.Config(256);
        c[Header.HeaderType] = headerType;
        foreach (var (offset, value) in dwords) BitConverter.TryWriteBytes(c.AsSpan(offset), value);
        return c;
    }

    [Fact]
    public void A_function_whose_BARs_and_ROM_read_zero_has_nothing_to_size()
    {
        Assert.False(SysfsResources.HasBarOrRom(Config(0)));
        // A bridge's windows and its I/O upper halves (0x30, where a type 0 header has its ROM) are config space.
        Assert.False(SysfsResources.HasBarOrRom(Config(1, (Type1.IoBase, 0x2000_e0e0), (Type1.MemoryBase, 0xfe90_fe80), (0x30, 0x0000_0000), (0x24, 0x1ff1_0001))));
        Assert.False(SysfsResources.HasBarOrRom(Config(0x80))); // multi-function bit, type 0
    }

    [Theory]
    [InlineData(0, 0x10, 0xfbd0_0000u)]   // 32-bit memory BAR0
    [InlineData(0, 0x24, 0x0000_e001u)]   // I/O BAR5
    [InlineData(0, 0x10, 0x0000_000cu)]   // 64-bit prefetchable, unassigned: its type bits are read-only and set
    [InlineData(0, 0x10, 0x0000_0001u)]   // I/O, unassigned
    [InlineData(0, 0x30, 0xfeb8_0000u)]   // expansion ROM only
    [InlineData(1, 0x14, 0xfe00_0000u)]   // a bridge's BAR1
    [InlineData(1, 0x38, 0xfe00_0000u)]   // a bridge's ROM (type 1 offset)
    [InlineData(2, 0x10, 0xfe00_0000u)]   // CardBus socket registers
    public void A_set_BAR_or_ROM_register_is_read(byte headerType, int offset, uint value) =>
        Assert.True(SysfsResources.HasBarOrRom(Config(headerType, (offset, value))));

    [Fact]
    public void An_unknown_header_type_or_a_config_too_short_to_say_is_read()
    {
        Assert.True(SysfsResources.HasBarOrRom(Config(0x7f)));
        Assert.True(SysfsResources.HasBarOrRom(new byte[8]));
    }

    [Fact]
    public void Registers_outside_a_header_do_not_count()
    {
        // Type 0 offsets past BAR5 other than the ROM (CardBus CIS, subsystem ids) and type 1 offsets past BAR1.
        Assert.False(SysfsResources.HasBarOrRom(Config(0, (0x28, 0x1234_5678), (0x2c, 0x1234_8086))));
        Assert.False(SysfsResources.HasBarOrRom(Config(1, (0x18, 0x0002_0100))));
        Assert.False(SysfsResources.HasBarOrRom(Config(2, (0x14, 0x0000_00a0), (0x30, 0xfe00_0000))));
    }
}
