namespace Preconfig.ConfigSpace.Registers;

/// <summary>Standard capability IDs (PCI_CAP_ID_*). Each capability starts with its ID and a next pointer.</summary>
public enum CapabilityId : byte
{
    Null = 0x00,
    PowerManagement = 0x01,   // PCI_CAP_ID_PM
    Agp = 0x02,               // PCI_CAP_ID_AGP
    Vpd = 0x03,               // PCI_CAP_ID_VPD
    SlotId = 0x04,            // PCI_CAP_ID_SLOTID
    Msi = 0x05,               // PCI_CAP_ID_MSI
    ChswP = 0x06,             // PCI_CAP_ID_CHSWP: CompactPCI hot swap
    PciX = 0x07,              // PCI_CAP_ID_PCIX
    HyperTransport = 0x08,    // PCI_CAP_ID_HT
    Vendor = 0x09,            // PCI_CAP_ID_VNDR
    DebugPort = 0x0a,         // PCI_CAP_ID_DBG
    CompactPciCrc = 0x0b,     // PCI_CAP_ID_CCRC
    HotPlug = 0x0c,           // PCI_CAP_ID_HOTPLUG
    SubsystemVendor = 0x0d,   // PCI_CAP_ID_SSVID: bridge subsystem IDs
    Agp3 = 0x0e,              // PCI_CAP_ID_AGP3
    Secure = 0x0f,            // PCI_CAP_ID_SECURE
    Express = 0x10,           // PCI_CAP_ID_EXP
    MsiX = 0x11,              // PCI_CAP_ID_MSIX
    Sata = 0x12,              // PCI_CAP_ID_SATA
    AdvancedFeatures = 0x13,  // PCI_CAP_ID_AF
    EnhancedAllocation = 0x14,// PCI_CAP_ID_EA
    FlatteningPortalBridge = 0x15, // PCI_CAP_ID_FPB
}

/// <summary>Extended capability IDs (PCI_EXT_CAP_ID_*), in the space above 0x100.</summary>
public enum ExtendedCapabilityId : ushort
{
    Null = 0x00,
    Aer = 0x01,               // PCI_EXT_CAP_ID_AER
    Vc = 0x02,                // PCI_EXT_CAP_ID_VC
    Dsn = 0x03,               // PCI_EXT_CAP_ID_DSN: device serial number
    PowerBudget = 0x04,       // PCI_EXT_CAP_ID_PB
    RootComplexLink = 0x05,   // PCI_EXT_CAP_ID_RCLINK
    RootComplexInternalLink = 0x06, // PCI_EXT_CAP_ID_RCILINK
    RootComplexEventCollector = 0x07, // PCI_EXT_CAP_ID_RCEC
    Mfvc = 0x08,              // PCI_EXT_CAP_ID_MFVC
    Vc9 = 0x09,               // PCI_EXT_CAP_ID_VC2
    Rcrb = 0x0a,              // PCI_EXT_CAP_ID_RBCB
    Vendor = 0x0b,            // PCI_EXT_CAP_ID_VNDR
    Cac = 0x0c,               // PCI_EXT_CAP_ID_CAC
    Acs = 0x0d,               // PCI_EXT_CAP_ID_ACS
    Ari = 0x0e,               // PCI_EXT_CAP_ID_ARI
    Ats = 0x0f,               // PCI_EXT_CAP_ID_ATS
    SrIov = 0x10,             // PCI_EXT_CAP_ID_SRIOV
    MrIov = 0x11,             // PCI_EXT_CAP_ID_MRIOV
    Multicast = 0x12,         // PCI_EXT_CAP_ID_MCAST
    Pri = 0x13,               // PCI_EXT_CAP_ID_PRI
    Rebar = 0x15,             // PCI_EXT_CAP_ID_REBAR
    Dpa = 0x16,               // PCI_EXT_CAP_ID_DPA
    Tph = 0x17,               // PCI_EXT_CAP_ID_TPH
    Ltr = 0x18,               // PCI_EXT_CAP_ID_LTR
    SecondaryPcie = 0x19,     // PCI_EXT_CAP_ID_SECPCI
    Pmux = 0x1a,              // PCI_EXT_CAP_ID_PMUX
    Pasid = 0x1b,             // PCI_EXT_CAP_ID_PASID
    Lnr = 0x1c,               // PCI_EXT_CAP_ID_LNR
    Dpc = 0x1d,               // PCI_EXT_CAP_ID_DPC
    L1PmSubstates = 0x1e,     // PCI_EXT_CAP_ID_L1PM
    Ptm = 0x1f,               // PCI_EXT_CAP_ID_PTM
    MPcie = 0x20,             // PCI_EXT_CAP_ID_M_PCIE
    FrsQueueing = 0x21,       // PCI_EXT_CAP_ID_FRS
    ReadinessTimeReporting = 0x22, // PCI_EXT_CAP_ID_RTR
    Dvsec = 0x23,             // PCI_EXT_CAP_ID_DVSEC
    VfRebar = 0x24,           // PCI_EXT_CAP_ID_VF_REBAR
    DataLink = 0x25,          // PCI_EXT_CAP_ID_DLNK
    Pl16G = 0x26,             // PCI_EXT_CAP_ID_16GT
    LaneMargining = 0x27,     // PCI_EXT_CAP_ID_LMR
    HierarchyId = 0x28,       // PCI_EXT_CAP_ID_HIER_ID
    Npem = 0x29,              // PCI_EXT_CAP_ID_NPEM
    Pl32G = 0x2a,             // PCI_EXT_CAP_ID_32GT
    AlternateProtocol = 0x2b, // PCI_EXT_CAP_ID_ALT_PROT
    Sfi = 0x2c,               // PCI_EXT_CAP_ID_SFI
    Doe = 0x2e,               // PCI_EXT_CAP_ID_DOE
    Ide = 0x30,               // PCI_EXT_CAP_ID_IDE
    Pl64G = 0x31,             // PCI_EXT_CAP_ID_64GT
    FlitLogging = 0x32,       // PCI_EXT_CAP_ID_FLIT_LOG
}

/// <summary>Power management capability (PCI_CAP_ID_PM), offsets relative to the capability.</summary>
public static class PowerManagement
{
    public const int Pmc = 0x02;              // 16 bits, PCI_PM_PMC
    public const int Ctrl = 0x04;             // 16 bits, PCI_PM_CTRL
    public const ushort CtrlStateMask = 0x0003;   // PCI_PM_CTRL_STATE_MASK: D0..D3hot
    public const ushort CtrlNoSoftReset = 0x0008; // PCI_PM_CTRL_NO_SOFT_RESET
    public const ushort CtrlPmeEnable = 0x0100;   // PCI_PM_CTRL_PME_ENABLE
    public const ushort CtrlPmeStatus = 0x8000;   // PCI_PM_CTRL_PME_STATUS, RW1C
}

/// <summary>MSI capability (PCI_CAP_ID_MSI), offsets relative to the capability.</summary>
public static class Msi
{
    public const int Flags = 0x02;            // 16 bits, PCI_MSI_FLAGS (Message Control)
    public const ushort FlagsEnable = 0x0001; // PCI_MSI_FLAGS_ENABLE
    public const ushort FlagsQmask = 0x000e;  // PCI_MSI_FLAGS_QMASK: vectors capable (read-only)
    public const ushort FlagsQsize = 0x0070;  // PCI_MSI_FLAGS_QSIZE: vectors enabled
    public const ushort Flags64Bit = 0x0080;  // PCI_MSI_FLAGS_64BIT
    public const ushort FlagsMaskBit = 0x0100;// PCI_MSI_FLAGS_MASKBIT: per-vector masking
    public const ushort FlagsExtData = 0x0200;       // Extended Message Data Capable (PCIe 4.0 §7.7.1.2)
    public const ushort FlagsExtDataEnable = 0x0400; // Extended Message Data Enable
    public const int AddressLo = 0x04;        // 32 bits, PCI_MSI_ADDRESS_LO
    public const int AddressHi = 0x08;        // 32 bits, only with Flags64Bit
    public const int Data32 = 0x08;           // 16 bits, PCI_MSI_DATA_32
    public const int Data64 = 0x0c;           // 16 bits, PCI_MSI_DATA_64
    public const int Mask32 = 0x0c;           // 32 bits, PCI_MSI_MASK_32
    public const int Mask64 = 0x10;           // 32 bits, PCI_MSI_MASK_64
    public const int Pending32 = 0x10;
    public const int Pending64 = 0x14;
}

/// <summary>MSI-X capability (PCI_CAP_ID_MSIX), offsets relative to the capability.</summary>
public static class MsiX
{
    public const int Flags = 0x02;               // 16 bits, PCI_MSIX_FLAGS (Message Control)
    public const ushort FlagsTableSize = 0x07ff; // PCI_MSIX_FLAGS_QSIZE: table size - 1 (read-only)
    public const ushort FlagsMaskAll = 0x4000;   // PCI_MSIX_FLAGS_MASKALL: Function Mask
    public const ushort FlagsEnable = 0x8000;    // PCI_MSIX_FLAGS_ENABLE
    public const int Table = 0x04;               // 32 bits, PCI_MSIX_TABLE: BIR and offset
    public const int Pba = 0x08;                 // 32 bits, PCI_MSIX_PBA
    public const uint BirMask = 0x7;             // PCI_MSIX_BIR
}

/// <summary>
/// PCI Express capability (PCI_CAP_ID_EXP), offsets relative to the capability (PCI_EXP_*).
/// Slot registers exist only where the port implements a slot; root registers only on root ports and RCECs.
/// </summary>
public static class PciExpress
{
    public const int Flags = 0x02;            // 16 bits, PCI_EXP_FLAGS
    public const ushort FlagsVersionMask = 0x000f; // PCI_EXP_FLAGS_VERS
    public const ushort FlagsTypeMask = 0x00f0;    // PCI_EXP_FLAGS_TYPE, see PortType
    public const ushort FlagsSlot = 0x0100;        // PCI_EXP_FLAGS_SLOT: slot implemented
    public const int DevCap = 0x04;           // 32 bits, PCI_EXP_DEVCAP
    public const uint DevCapFlr = 0x10000000; // PCI_EXP_DEVCAP_FLR: function-level reset supported
    public const int DevCtl = 0x08;           // 16 bits, PCI_EXP_DEVCTL
    public const ushort DevCtlCere = 0x0001;  // correctable error reporting enable
    public const ushort DevCtlNfere = 0x0002; // non-fatal error reporting enable
    public const ushort DevCtlFere = 0x0004;  // fatal error reporting enable
    public const ushort DevCtlUrre = 0x0008;  // unsupported request reporting enable
    public const ushort DevCtlRelaxedOrdering = 0x0010; // PCI_EXP_DEVCTL_RELAX_EN
    public const ushort DevCtlPayloadMask = 0x00e0;     // PCI_EXP_DEVCTL_PAYLOAD: max payload 128 << n
    public const ushort DevCtlExtTag = 0x0100;          // PCI_EXP_DEVCTL_EXT_TAG
    public const ushort DevCtlPhantom = 0x0200;         // PCI_EXP_DEVCTL_PHANTOM
    public const ushort DevCtlAuxPower = 0x0400;        // PCI_EXP_DEVCTL_AUX_PME
    public const ushort DevCtlNoSnoop = 0x0800;         // PCI_EXP_DEVCTL_NOSNOOP_EN
    public const ushort DevCtlReadRqMask = 0x7000;      // PCI_EXP_DEVCTL_READRQ: max read request 128 << n
    /// <summary>Bit 15 is Initiate FLR on endpoints and Bridge Configuration Retry Enable on PCIe-to-PCI bridges
    /// (PCI_EXP_DEVCTL_FLRESET and PCI_EXP_DEVCTL_BCRE share it). Writing 1 to an endpoint's resets it.</summary>
    public const ushort DevCtlFlReset = 0x8000;
    public const ushort DevCtlBcre = 0x8000;
    public const int DevSta = 0x0a;           // 16 bits, PCI_EXP_DEVSTA; bits 0..3 RW1C
    public const ushort DevStaErrorBits = 0x000f; // CED, NFED, FED, URD
    public const ushort DevStaTransactionsPending = 0x0020; // PCI_EXP_DEVSTA_TRPND
    /// <summary>Emergency Power Reduction Detected (PCIe r5.0 7.5.3.5, bit 6): RW1C where DevCap2 bits 25:24 say the
    /// function supports it, else RsvdZ; a power status, not an error. Not named in pciutils' header.h.</summary>
    public const ushort DevStaEmergencyPowerReduction = 0x0040;
    public const int LnkCap = 0x0c;           // 32 bits, PCI_EXP_LNKCAP
    public const uint LnkCapSpeedMask = 0x0000000f;  // PCI_EXP_LNKCAP_SLS: 1 = 2.5 GT/s, 2 = 5 GT/s, 3 = 8 GT/s ...
    public const uint LnkCapDllActiveReporting = 0x00100000; // PCI_EXP_LNKCAP_DLLLARC
    public const int LnkCtl = 0x10;           // 16 bits, PCI_EXP_LNKCTL
    public const ushort LnkCtlAspmMask = 0x0003;     // PCI_EXP_LNKCTL_ASPM
    public const ushort LnkCtlRcb = 0x0008;          // PCI_EXP_LNKCTL_RCB
    public const ushort LnkCtlDisable = 0x0010;      // PCI_EXP_LNKCTL_DISABLE: link disable (ports)
    public const ushort LnkCtlRetrain = 0x0020;      // PCI_EXP_LNKCTL_RETRAIN: self-clearing action
    public const ushort LnkCtlCommonClock = 0x0040;  // PCI_EXP_LNKCTL_CLOCK
    public const ushort LnkCtlExtSync = 0x0080;      // PCI_EXP_LNKCTL_XSYNCH
    public const ushort LnkCtlClockPm = 0x0100;      // PCI_EXP_LNKCTL_CLOCKPM
    public const ushort LnkCtlHwAutoWidthDisable = 0x0200;
    public const ushort LnkCtlBwMgmtIntEnable = 0x0400; // PCI_EXP_LNKCTL_BWMIE
    public const ushort LnkCtlAutoBwIntEnable = 0x0800; // PCI_EXP_LNKCTL_AUTBWIE
    public const int LnkSta = 0x12;           // 16 bits, PCI_EXP_LNKSTA; bits 14, 15 RW1C
    public const ushort LnkStaRw1cBits = 0xc000;
    public const ushort LnkStaDllActive = 0x2000;    // PCI_EXP_LNKSTA_DLLLA: Data Link Layer Link Active
    public const int SltCap = 0x14;           // 32 bits, PCI_EXP_SLTCAP
    public const int SltCtl = 0x18;           // 16 bits, PCI_EXP_SLTCTL
    public const int SltSta = 0x1a;           // 16 bits, PCI_EXP_SLTSTA; bits 0..4 and 8 RW1C
    public const ushort SltStaRw1cBits = 0x011f;
    public const int RootCtl = 0x1c;          // 16 bits, PCI_EXP_RTCTL
    public const int RootCap = 0x1e;          // 16 bits, PCI_EXP_RTCAP
    public const int RootSta = 0x20;          // 32 bits, PCI_EXP_RTSTA; PME status (bit 16) RW1C
    public const uint RootStaRw1cBits = 0x00010000;
    public const int DevCap2 = 0x24;          // 32 bits, PCI_EXP_DEVCAP2 (capability version 2)
    public const uint DevCap2Ltr = 0x00000800;// PCI_EXP_DEVCAP2_LTR
    public const int DevCtl2 = 0x28;          // 16 bits, PCI_EXP_DEVCTL2
    public const ushort DevCtl2LtrEnable = 0x0400; // PCI_EXP_DEVCTL2_LTR_EN
    public const int DevSta2 = 0x2a;          // 16 bits
    public const int LnkCap2 = 0x2c;          // 32 bits, PCI_EXP_LNKCAP2
    public const uint LnkCap2SpeedsMask = 0x000000fe; // PCI_EXP_LNKCAP2_SLS: bit 1 2.5 GT/s, bit 2 5 GT/s, bit 3 8 GT/s ...
    public const int LnkCtl2 = 0x30;          // 16 bits, PCI_EXP_LNKCTL2
    public const int LnkSta2 = 0x32;          // 16 bits
    public const int SltCap2 = 0x34;          // 32 bits
    public const int SltCtl2 = 0x38;          // 16 bits, PCI_EXP_SLTCTL2
    public const int SltSta2 = 0x3a;          // 16 bits
    public const int SizeV1 = 0x14;           // a version-1 capability ends after LnkSta... up to SltCap for ports
    public const int SizeV2 = 0x3c;           // PCI_CAP_EXP_ENDPOINT_SIZEOF_V2 / RC sizes
}

/// <summary>PCI_EXP_TYPE_* values (bits 4..7 of PCI Express Flags).</summary>
public enum PciExpressPortType : byte
{
    Endpoint = 0x0,           // PCI_EXP_TYPE_ENDPOINT
    LegacyEndpoint = 0x1,     // PCI_EXP_TYPE_LEG_END
    RootPort = 0x4,           // PCI_EXP_TYPE_ROOT_PORT
    Upstream = 0x5,           // PCI_EXP_TYPE_UPSTREAM: switch upstream port
    Downstream = 0x6,         // PCI_EXP_TYPE_DOWNSTREAM: switch downstream port
    PciBridge = 0x7,          // PCI_EXP_TYPE_PCI_BRIDGE: PCIe to PCI/PCI-X
    PcieBridge = 0x8,         // PCI_EXP_TYPE_PCIE_BRIDGE: PCI/PCI-X to PCIe
    RootIntegratedEndpoint = 0x9, // PCI_EXP_TYPE_ROOT_INT_EP
    RootComplexEventCollector = 0xa, // PCI_EXP_TYPE_ROOT_EC
}

/// <summary>Advanced Error Reporting (PCI_EXT_CAP_ID_ERR), offsets relative to the capability (PCI_ERR_*).</summary>
public static class Aer
{
    public const int UncorStatus = 0x04;      // 32 bits, PCI_ERR_UNCOR_STATUS, RW1C
    public const int UncorMask = 0x08;        // 32 bits, PCI_ERR_UNCOR_MASK
    public const int UncorSeverity = 0x0c;    // 32 bits, PCI_ERR_UNCOR_SEVER
    public const int CorStatus = 0x10;        // 32 bits, PCI_ERR_COR_STATUS, RW1C
    public const int CorMask = 0x14;          // 32 bits, PCI_ERR_COR_MASK
    public const int Cap = 0x18;              // 32 bits, PCI_ERR_CAP: ECRC generation/check enables, first error pointer
    public const uint CapEcrcGenEnable = 0x40;   // PCI_ERR_CAP_ECRC_GENE
    public const uint CapEcrcCheckEnable = 0x100;// PCI_ERR_CAP_ECRC_CHKE
    public const int HeaderLog = 0x1c;        // 4 x 32 bits, PCI_ERR_HEADER_LOG
    public const int RootCommand = 0x2c;      // 32 bits, PCI_ERR_ROOT_COMMAND (root ports, RCECs)
    public const int RootStatus = 0x30;       // 32 bits, PCI_ERR_ROOT_STATUS, RW1C
    public const int RootErrorSource = 0x34;  // 32 bits
}

/// <summary>Access Control Services (PCI_EXT_CAP_ID_ACS), offsets relative to the capability (PCI_ACS_*).</summary>
public static class Acs
{
    public const int Cap = 0x04;              // 16 bits, PCI_ACS_CAP
    public const int Ctrl = 0x06;             // 16 bits, PCI_ACS_CTRL
}

/// <summary>Latency Tolerance Reporting (PCI_EXT_CAP_ID_LTR), offsets relative to the capability.</summary>
public static class Ltr
{
    public const int MaxSnoopLatency = 0x04;  // 16 bits, PCI_LTR_MAX_SNOOP
    public const int MaxNoSnoopLatency = 0x06;// 16 bits, PCI_LTR_MAX_NOSNOOP
}

/// <summary>Alternative Routing-ID Interpretation (PCI_EXT_CAP_ID_ARI).</summary>
public static class Ari
{
    public const int Cap = 0x04;              // 16 bits
    public const int Ctrl = 0x06;             // 16 bits, PCI_ARI_CTRL
}

/// <summary>L1 PM Substates (PCI_EXT_CAP_ID_L1PM).</summary>
public static class L1PmSubstates
{
    public const int Cap = 0x04;              // 32 bits
    public const int Ctl1 = 0x08;             // 32 bits, PCI_L1PM_SUBSTAT_CTL1
    public const int Ctl2 = 0x0c;             // 32 bits, PCI_L1PM_SUBSTAT_CTL2
}

/// <summary>Precision Time Measurement (PCI_EXT_CAP_ID_PTM).</summary>
public static class Ptm
{
    public const int Cap = 0x04;              // 32 bits
    public const int Ctrl = 0x08;             // 32 bits
}

/// <summary>Downstream Port Containment (PCI_EXT_CAP_ID_DPC).</summary>
public static class Dpc
{
    public const int Cap = 0x04;              // 16 bits
    public const int Ctrl = 0x06;             // 16 bits, PCI_DPC_CTL
    public const int Status = 0x08;           // 16 bits, RW1C
}
