namespace Preconfig.ConfigSpace.Registers;

// Names, offsets and widths follow pciutils' lib/header.h (PCI_COMMAND, PCI_BASE_ADDRESS_0 ...), in C# casing.

/// <summary>The part of the header every type shares (PCI_VENDOR_ID .. PCI_HEADER_TYPE, PCI_CAPABILITY_LIST).</summary>
public static class Header
{
    public const int VendorId = 0x00;          // 16 bits
    public const int DeviceId = 0x02;          // 16 bits
    public const int Command = 0x04;           // 16 bits, see Command
    public const int Status = 0x06;            // 16 bits, error bits are write-1-to-clear, see Status
    public const int ClassRevision = 0x08;     // 32 bits: high 24 bits class code, low 8 revision
    public const int RevisionId = 0x08;        // 8 bits
    public const int ClassProg = 0x09;         // 8 bits, programming interface
    public const int ClassDevice = 0x0a;       // 16 bits, base class and subclass
    public const int CacheLineSize = 0x0c;     // 8 bits, in dwords
    public const int LatencyTimer = 0x0d;      // 8 bits
    public const int HeaderType = 0x0e;        // 8 bits; bit 7 = multi-function
    public const int Bist = 0x0f;              // 8 bits
    public const int CapabilityList = 0x34;    // 8 bits, first capability pointer (types 0 and 1)
    public const int InterruptLine = 0x3c;     // 8 bits
    public const int InterruptPin = 0x3d;      // 8 bits

    /// <summary>Length of the standard header; capabilities live above it.</summary>
    public const int Size = 0x40;
    public const int StdConfigSize = 256;      // conventional PCI
    public const int ExtConfigSize = 4096;     // PCI Express extended space

    public const byte HeaderTypeMask = 0x7f;
    public const byte HeaderTypeMultiFunction = 0x80;
}

/// <summary>PCI_HEADER_TYPE values.</summary>
public enum HeaderType : byte
{
    Normal = 0,     // PCI_HEADER_TYPE_NORMAL: endpoints
    Bridge = 1,     // PCI_HEADER_TYPE_BRIDGE: PCI-to-PCI bridges, root and switch ports
    CardBus = 2,    // PCI_HEADER_TYPE_CARDBUS
}

/// <summary>PCI_COMMAND bits.</summary>
[Flags]
public enum Command : ushort
{
    Io = 0x1,                 // PCI_COMMAND_IO: respond to I/O space
    Memory = 0x2,             // PCI_COMMAND_MEMORY: respond to memory space
    BusMaster = 0x4,          // PCI_COMMAND_MASTER: may initiate DMA
    Special = 0x8,            // PCI_COMMAND_SPECIAL
    Invalidate = 0x10,        // PCI_COMMAND_INVALIDATE: memory write and invalidate
    VgaPalette = 0x20,        // PCI_COMMAND_VGA_PALETTE
    Parity = 0x40,            // PCI_COMMAND_PARITY
    Wait = 0x80,              // PCI_COMMAND_WAIT: address/data stepping
    Serr = 0x100,             // PCI_COMMAND_SERR
    Fast = 0x200,             // PCI_COMMAND_FAST: back-to-back writes
    IntxDisable = 0x400,      // PCI_COMMAND_DISABLE_INTx
}

/// <summary>PCI_STATUS bits. The error bits (0xf900) are write-1-to-clear.</summary>
[Flags]
public enum Status : ushort
{
    ImmReady = 0x1,           // PCI_STATUS_IMM_READY
    Interrupt = 0x8,          // PCI_STATUS_INTx: INTx asserted (read-only)
    CapList = 0x10,           // PCI_STATUS_CAP_LIST
    Mhz66 = 0x20,             // PCI_STATUS_66MHZ
    Udf = 0x40,               // PCI_STATUS_UDF
    FastBack = 0x80,          // PCI_STATUS_FAST_BACK
    Parity = 0x100,           // PCI_STATUS_PARITY: master data parity error (RW1C)
    DevselMask = 0x600,       // PCI_STATUS_DEVSEL_MASK
    SigTargetAbort = 0x800,   // PCI_STATUS_SIG_TARGET_ABORT (RW1C)
    RecTargetAbort = 0x1000,  // PCI_STATUS_REC_TARGET_ABORT (RW1C)
    RecMasterAbort = 0x2000,  // PCI_STATUS_REC_MASTER_ABORT (RW1C)
    SigSystemError = 0x4000,  // PCI_STATUS_SIG_SYSTEM_ERROR (RW1C)
    DetectedParity = 0x8000,  // PCI_STATUS_DETECTED_PARITY (RW1C)

    /// <summary>Every write-1-to-clear error bit.</summary>
    ErrorBits = Parity | SigTargetAbort | RecTargetAbort | RecMasterAbort | SigSystemError | DetectedParity,
}

/// <summary>Header type 0 (PCI_HEADER_TYPE_NORMAL) registers.</summary>
public static class Type0
{
    public const int BaseAddress0 = 0x10;      // 32 bits each; a 64-bit BAR uses two
    public const int BaseAddress1 = 0x14;
    public const int BaseAddress2 = 0x18;
    public const int BaseAddress3 = 0x1c;
    public const int BaseAddress4 = 0x20;
    public const int BaseAddress5 = 0x24;
    public const int BarCount = 6;
    public const int CardbusCis = 0x28;        // 32 bits
    public const int SubsystemVendorId = 0x2c; // 16 bits
    public const int SubsystemId = 0x2e;       // 16 bits
    public const int RomAddress = 0x30;        // 32 bits; bit 0 enables decode
    public const int MinGnt = 0x3e;            // 8 bits
    public const int MaxLat = 0x3f;            // 8 bits
}

/// <summary>Header type 1 (PCI_HEADER_TYPE_BRIDGE) registers.</summary>
public static class Type1
{
    public const int BaseAddress0 = 0x10;
    public const int BaseAddress1 = 0x14;
    public const int BarCount = 2;
    public const int PrimaryBus = 0x18;        // 8 bits
    public const int SecondaryBus = 0x19;      // 8 bits
    public const int SubordinateBus = 0x1a;    // 8 bits
    public const int SecLatencyTimer = 0x1b;   // 8 bits
    public const int IoBase = 0x1c;            // 8 bits; low nibble says 16/32-bit
    public const int IoLimit = 0x1d;           // 8 bits
    public const int SecStatus = 0x1e;         // 16 bits; error bits RW1C as in Status
    public const int MemoryBase = 0x20;        // 16 bits
    public const int MemoryLimit = 0x22;       // 16 bits
    public const int PrefMemoryBase = 0x24;    // 16 bits; low nibble says 32/64-bit
    public const int PrefMemoryLimit = 0x26;   // 16 bits
    public const int PrefBaseUpper32 = 0x28;   // 32 bits
    public const int PrefLimitUpper32 = 0x2c;  // 32 bits
    public const int IoBaseUpper16 = 0x30;     // 16 bits
    public const int IoLimitUpper16 = 0x32;    // 16 bits
    public const int RomAddress = 0x38;        // 32 bits (PCI_ROM_ADDRESS1)
    public const int BridgeControl = 0x3e;     // 16 bits, see BridgeControl
}

/// <summary>PCI_BRIDGE_CONTROL bits.</summary>
[Flags]
public enum BridgeControl : ushort
{
    Parity = 0x01,            // PCI_BRIDGE_CTL_PARITY
    Serr = 0x02,              // PCI_BRIDGE_CTL_SERR
    NoIsa = 0x04,             // PCI_BRIDGE_CTL_NO_ISA
    Vga = 0x08,               // PCI_BRIDGE_CTL_VGA
    Vga16 = 0x10,             // PCI_BRIDGE_CTL_VGA_16BIT
    MasterAbort = 0x20,       // PCI_BRIDGE_CTL_MASTER_ABORT
    BusReset = 0x40,          // PCI_BRIDGE_CTL_BUS_RESET: secondary bus reset
    FastBack = 0x80,          // PCI_BRIDGE_CTL_FAST_BACK
    PriDiscardTimer = 0x100,
    SecDiscardTimer = 0x200,
    DiscardTimerStatus = 0x400, // RW1C
    DiscardTimerSerrEn = 0x800,
}

/// <summary>Header type 2 (PCI_HEADER_TYPE_CARDBUS) registers.</summary>
public static class Type2
{
    public const int SocketBase = 0x10;        // 32 bits, a BAR
    public const int CapabilityList = 0x14;    // 8 bits (PCI_CB_CAPABILITY_LIST)
    public const int SecStatus = 0x16;         // 16 bits
    public const int PrimaryBus = 0x18;
    public const int CardBus = 0x19;
    public const int SubordinateBus = 0x1a;
    public const int LatencyTimer = 0x1b;
    public const int MemoryBase0 = 0x1c;       // 32 bits each
    public const int MemoryLimit0 = 0x20;
    public const int MemoryBase1 = 0x24;
    public const int MemoryLimit1 = 0x28;
    public const int IoBase0 = 0x2c;
    public const int IoLimit0 = 0x30;
    public const int IoBase1 = 0x34;
    public const int IoLimit1 = 0x38;
    public const int BridgeControl = 0x3e;     // 16 bits
    public const int SubsystemVendorId = 0x40; // 16 bits
    public const int SubsystemId = 0x42;       // 16 bits
    public const int LegacyModeBase = 0x44;    // 32 bits
}

/// <summary>PCI_BASE_ADDRESS_* bits.</summary>
public static class BaseAddress
{
    public const uint SpaceIo = 0x01;              // PCI_BASE_ADDRESS_SPACE_IO
    public const uint MemTypeMask = 0x06;          // PCI_BASE_ADDRESS_MEM_TYPE_MASK
    public const uint MemType32 = 0x00;
    public const uint MemType1M = 0x02;
    public const uint MemType64 = 0x04;
    public const uint MemPrefetch = 0x08;          // PCI_BASE_ADDRESS_MEM_PREFETCH
    public const uint MemMask = ~0x0fu;            // PCI_BASE_ADDRESS_MEM_MASK
    public const uint IoMask = ~0x03u;             // PCI_BASE_ADDRESS_IO_MASK
    public const uint RomEnable = 0x01;            // PCI_ROM_ADDRESS_ENABLE
    public const uint RomMask = ~0x7ffu;           // PCI_ROM_ADDRESS_MASK
}
