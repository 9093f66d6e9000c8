using Preconfig.ConfigSpace.Registers;

namespace Preconfig.Preinit.Planning;

/// <summary>One named header register as setpci knows it: offset, width, the header types it exists on (bit n = type
/// n; 0 = every type, setpci then checks nothing) and its name.</summary>
internal readonly record struct SetpciHeaderName(int Offset, int Width, int HeaderTypes, string Name);

/// <summary>
/// The register names setpci takes, as its table <c>pci_reg_names</c> has them (pciutils setpci.c; <c>setpci
/// --dumpregs</c> prints it): the header registers with their offsets, widths and header types, and a base name per
/// capability id (<c>CAP_EXP</c>, <c>ECAP_AER</c>) that a register inside the capability extends with
/// <c>+offset.width</c>. Every name setpci has is here, so a capability the planner learns to restore needs no new name.
/// </summary>
internal static class SetpciRegisterTable
{
    private const int Any = 0x0, Type0 = 0x1, Type1 = 0x2, Type0Or1 = 0x3, Type2 = 0x4;

    public static readonly IReadOnlyList<SetpciHeaderName> Header =
    [
        new(0x00, 2, Any, "VENDOR_ID"), new(0x02, 2, Any, "DEVICE_ID"), new(0x04, 2, Any, "COMMAND"),
        new(0x06, 2, Any, "STATUS"), new(0x08, 1, Any, "REVISION"), new(0x09, 1, Any, "CLASS_PROG"),
        new(0x0a, 2, Any, "CLASS_DEVICE"), new(0x0c, 1, Any, "CACHE_LINE_SIZE"), new(0x0d, 1, Any, "LATENCY_TIMER"),
        new(0x0e, 1, Any, "HEADER_TYPE"), new(0x0f, 1, Any, "BIST"),
        new(0x10, 4, Type0Or1, "BASE_ADDRESS_0"), new(0x14, 4, Type0Or1, "BASE_ADDRESS_1"),
        new(0x18, 4, Type0, "BASE_ADDRESS_2"), new(0x1c, 4, Type0, "BASE_ADDRESS_3"),
        new(0x20, 4, Type0, "BASE_ADDRESS_4"), new(0x24, 4, Type0, "BASE_ADDRESS_5"),
        new(0x28, 4, Type0, "CARDBUS_CIS"), new(0x2c, 2, Type0, "SUBSYSTEM_VENDOR_ID"), new(0x2e, 2, Type0, "SUBSYSTEM_ID"),
        new(0x30, 4, Type0, "ROM_ADDRESS"), new(0x34, 1, Type0Or1, "CAPABILITIES"),
        new(0x3c, 1, Type0Or1, "INTERRUPT_LINE"), new(0x3d, 1, Type0Or1, "INTERRUPT_PIN"),
        new(0x3e, 1, Type0, "MIN_GNT"), new(0x3f, 1, Type0, "MAX_LAT"),
        new(0x18, 1, Type1, "PRIMARY_BUS"), new(0x19, 1, Type1, "SECONDARY_BUS"), new(0x1a, 1, Type1, "SUBORDINATE_BUS"),
        new(0x1b, 1, Type1, "SEC_LATENCY_TIMER"), new(0x1c, 1, Type1, "IO_BASE"), new(0x1d, 1, Type1, "IO_LIMIT"),
        new(0x1e, 2, Type1, "SEC_STATUS"), new(0x20, 2, Type1, "MEMORY_BASE"), new(0x22, 2, Type1, "MEMORY_LIMIT"),
        new(0x24, 2, Type1, "PREF_MEMORY_BASE"), new(0x26, 2, Type1, "PREF_MEMORY_LIMIT"),
        new(0x28, 4, Type1, "PREF_BASE_UPPER32"), new(0x2c, 4, Type1, "PREF_LIMIT_UPPER32"),
        new(0x30, 2, Type1, "IO_BASE_UPPER16"), new(0x32, 2, Type1, "IO_LIMIT_UPPER16"),
        new(0x38, 4, Type1, "BRIDGE_ROM_ADDRESS"), new(0x3e, 2, Type1, "BRIDGE_CONTROL"),
        new(0x10, 4, Type2, "CB_CARDBUS_BASE"), new(0x14, 2, Type2, "CB_CAPABILITIES"), new(0x16, 2, Type2, "CB_SEC_STATUS"),
        new(0x18, 1, Type2, "CB_BUS_NUMBER"), new(0x19, 1, Type2, "CB_CARDBUS_NUMBER"), new(0x1a, 1, Type2, "CB_SUBORDINATE_BUS"),
        new(0x1b, 1, Type2, "CB_CARDBUS_LATENCY"), new(0x1c, 4, Type2, "CB_MEMORY_BASE_0"), new(0x20, 4, Type2, "CB_MEMORY_LIMIT_0"),
        new(0x24, 4, Type2, "CB_MEMORY_BASE_1"), new(0x28, 4, Type2, "CB_MEMORY_LIMIT_1"), new(0x2c, 2, Type2, "CB_IO_BASE_0"),
        new(0x2e, 2, Type2, "CB_IO_BASE_0_HI"), new(0x30, 2, Type2, "CB_IO_LIMIT_0"), new(0x32, 2, Type2, "CB_IO_LIMIT_0_HI"),
        new(0x34, 2, Type2, "CB_IO_BASE_1"), new(0x36, 2, Type2, "CB_IO_BASE_1_HI"), new(0x38, 2, Type2, "CB_IO_LIMIT_1"),
        new(0x3a, 2, Type2, "CB_IO_LIMIT_1_HI"), new(0x40, 2, Type2, "CB_SUBSYSTEM_VENDOR_ID"), new(0x42, 2, Type2, "CB_SUBSYSTEM_ID"),
        new(0x44, 4, Type2, "CB_LEGACY_MODE_BASE"),
    ];

    /// <summary>Standard capabilities by id (setpci's <c>CAP_*</c>).</summary>
    public static readonly IReadOnlyDictionary<CapabilityId, string> Capabilities = new Dictionary<CapabilityId, string>
    {
        [CapabilityId.PowerManagement] = "CAP_PM", [CapabilityId.Agp] = "CAP_AGP", [CapabilityId.Vpd] = "CAP_VPD",
        [CapabilityId.SlotId] = "CAP_SLOTID", [CapabilityId.Msi] = "CAP_MSI", [CapabilityId.ChswP] = "CAP_CHSWP",
        [CapabilityId.PciX] = "CAP_PCIX", [CapabilityId.HyperTransport] = "CAP_HT", [CapabilityId.Vendor] = "CAP_VNDR",
        [CapabilityId.DebugPort] = "CAP_DBG", [CapabilityId.CompactPciCrc] = "CAP_CCRC", [CapabilityId.HotPlug] = "CAP_HOTPLUG",
        [CapabilityId.SubsystemVendor] = "CAP_SSVID", [CapabilityId.Agp3] = "CAP_AGP3", [CapabilityId.Secure] = "CAP_SECURE",
        [CapabilityId.Express] = "CAP_EXP", [CapabilityId.MsiX] = "CAP_MSIX", [CapabilityId.Sata] = "CAP_SATA",
        [CapabilityId.AdvancedFeatures] = "CAP_AF", [CapabilityId.EnhancedAllocation] = "CAP_EA",
    };

    /// <summary>Extended capabilities by id (setpci's <c>ECAP_*</c>).</summary>
    public static readonly IReadOnlyDictionary<ExtendedCapabilityId, string> ExtendedCapabilities = new Dictionary<ExtendedCapabilityId, string>
    {
        [ExtendedCapabilityId.Aer] = "ECAP_AER", [ExtendedCapabilityId.Vc] = "ECAP_VC", [ExtendedCapabilityId.Dsn] = "ECAP_DSN",
        [ExtendedCapabilityId.PowerBudget] = "ECAP_PB", [ExtendedCapabilityId.RootComplexLink] = "ECAP_RCLINK",
        [ExtendedCapabilityId.RootComplexInternalLink] = "ECAP_RCILINK", [ExtendedCapabilityId.RootComplexEventCollector] = "ECAP_RCEC",
        [ExtendedCapabilityId.Mfvc] = "ECAP_MFVC", [ExtendedCapabilityId.Vc9] = "ECAP_VC2", [ExtendedCapabilityId.Rcrb] = "ECAP_RBCB",
        [ExtendedCapabilityId.Vendor] = "ECAP_VNDR", [ExtendedCapabilityId.Acs] = "ECAP_ACS", [ExtendedCapabilityId.Ari] = "ECAP_ARI",
        [ExtendedCapabilityId.Ats] = "ECAP_ATS", [ExtendedCapabilityId.SrIov] = "ECAP_SRIOV", [ExtendedCapabilityId.MrIov] = "ECAP_MRIOV",
        [ExtendedCapabilityId.Multicast] = "ECAP_MCAST", [ExtendedCapabilityId.Pri] = "ECAP_PRI", [ExtendedCapabilityId.Rebar] = "ECAP_REBAR",
        [ExtendedCapabilityId.Dpa] = "ECAP_DPA", [ExtendedCapabilityId.Tph] = "ECAP_TPH", [ExtendedCapabilityId.Ltr] = "ECAP_LTR",
        [ExtendedCapabilityId.SecondaryPcie] = "ECAP_SECPCI", [ExtendedCapabilityId.Pmux] = "ECAP_PMUX",
        [ExtendedCapabilityId.Pasid] = "ECAP_PASID", [ExtendedCapabilityId.Lnr] = "ECAP_LNR", [ExtendedCapabilityId.Dpc] = "ECAP_DPC",
        [ExtendedCapabilityId.L1PmSubstates] = "ECAP_L1PM", [ExtendedCapabilityId.Ptm] = "ECAP_PTM", [ExtendedCapabilityId.MPcie] = "ECAP_M_PCIE",
        [ExtendedCapabilityId.FrsQueueing] = "ECAP_FRS", [ExtendedCapabilityId.ReadinessTimeReporting] = "ECAP_RTR",
        [ExtendedCapabilityId.Dvsec] = "ECAP_DVSEC", [ExtendedCapabilityId.VfRebar] = "ECAP_VF_REBAR", [ExtendedCapabilityId.DataLink] = "ECAP_DLNK",
        [ExtendedCapabilityId.Pl16G] = "ECAP_16GT", [ExtendedCapabilityId.LaneMargining] = "ECAP_LMR", [ExtendedCapabilityId.HierarchyId] = "ECAP_HIER_ID",
        [ExtendedCapabilityId.Npem] = "ECAP_NPEM", [ExtendedCapabilityId.Pl32G] = "ECAP_32GT", [ExtendedCapabilityId.Ide] = "ECAP_IDE",
        [ExtendedCapabilityId.Pl64G] = "ECAP_64GT",
    };
}
