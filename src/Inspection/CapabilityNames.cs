using Preconfig.ConfigSpace;
using Preconfig.ConfigSpace.Registers;

namespace Preconfig.Inspection;

/// <summary>Short capability names for tables, as lspci abbreviates them (MSI-X, AER, SR-IOV ...).</summary>
public static class CapabilityNames
{
    public static string Short(Capability c) => c.Extended ? Extended((ExtendedCapabilityId)c.Id) : Standard((CapabilityId)c.Id);

    public static string Standard(CapabilityId id) => id switch
    {
        CapabilityId.PowerManagement => "PM",
        CapabilityId.Agp => "AGP",
        CapabilityId.Vpd => "VPD",
        CapabilityId.SlotId => "SlotID",
        CapabilityId.Msi => "MSI",
        CapabilityId.ChswP => "CHSWP",
        CapabilityId.PciX => "PCI-X",
        CapabilityId.HyperTransport => "HT",
        CapabilityId.Vendor => "Vendor",
        CapabilityId.DebugPort => "Debug",
        CapabilityId.CompactPciCrc => "CCRC",
        CapabilityId.HotPlug => "HotPlug",
        CapabilityId.SubsystemVendor => "SSVID",
        CapabilityId.Agp3 => "AGP3",
        CapabilityId.Secure => "Secure",
        CapabilityId.Express => "Express",
        CapabilityId.MsiX => "MSI-X",
        CapabilityId.Sata => "SATA",
        CapabilityId.AdvancedFeatures => "AF",
        CapabilityId.EnhancedAllocation => "EA",
        CapabilityId.FlatteningPortalBridge => "FPB",
        _ => $"Cap{(byte)id:x2}",
    };

    public static string Extended(ExtendedCapabilityId id) => id switch
    {
        ExtendedCapabilityId.Aer => "AER",
        ExtendedCapabilityId.Vc => "VC",
        ExtendedCapabilityId.Dsn => "DSN",
        ExtendedCapabilityId.PowerBudget => "PowerBudget",
        ExtendedCapabilityId.RootComplexLink => "RCLink",
        ExtendedCapabilityId.RootComplexInternalLink => "RCILink",
        ExtendedCapabilityId.RootComplexEventCollector => "RCEC",
        ExtendedCapabilityId.Mfvc => "MFVC",
        ExtendedCapabilityId.Vc9 => "VC",
        ExtendedCapabilityId.Rcrb => "RCRB",
        ExtendedCapabilityId.Vendor => "VSEC",
        ExtendedCapabilityId.Cac => "CAC",
        ExtendedCapabilityId.Acs => "ACS",
        ExtendedCapabilityId.Ari => "ARI",
        ExtendedCapabilityId.Ats => "ATS",
        ExtendedCapabilityId.SrIov => "SR-IOV",
        ExtendedCapabilityId.MrIov => "MR-IOV",
        ExtendedCapabilityId.Multicast => "Multicast",
        ExtendedCapabilityId.Pri => "PRI",
        ExtendedCapabilityId.Rebar => "ReBAR",
        ExtendedCapabilityId.Dpa => "DPA",
        ExtendedCapabilityId.Tph => "TPH",
        ExtendedCapabilityId.Ltr => "LTR",
        ExtendedCapabilityId.SecondaryPcie => "SecPCIe",
        ExtendedCapabilityId.Pmux => "PMUX",
        ExtendedCapabilityId.Pasid => "PASID",
        ExtendedCapabilityId.Lnr => "LNR",
        ExtendedCapabilityId.Dpc => "DPC",
        ExtendedCapabilityId.L1PmSubstates => "L1PM",
        ExtendedCapabilityId.Ptm => "PTM",
        ExtendedCapabilityId.MPcie => "M-PCIe",
        ExtendedCapabilityId.FrsQueueing => "FRS",
        ExtendedCapabilityId.ReadinessTimeReporting => "RTR",
        ExtendedCapabilityId.Dvsec => "DVSEC",
        ExtendedCapabilityId.VfRebar => "VF-ReBAR",
        ExtendedCapabilityId.DataLink => "DLF",
        ExtendedCapabilityId.Pl16G => "16GT",
        ExtendedCapabilityId.LaneMargining => "LaneMargin",
        ExtendedCapabilityId.HierarchyId => "HierarchyID",
        ExtendedCapabilityId.Npem => "NPEM",
        ExtendedCapabilityId.Pl32G => "32GT",
        ExtendedCapabilityId.AlternateProtocol => "AltProtocol",
        ExtendedCapabilityId.Sfi => "SFI",
        ExtendedCapabilityId.Doe => "DOE",
        ExtendedCapabilityId.Ide => "IDE",
        ExtendedCapabilityId.Pl64G => "64GT",
        ExtendedCapabilityId.FlitLogging => "FlitLog",
        _ => $"ExtCap{(ushort)id:x4}",
    };

    /// <summary>What a chain problem reads as, in lspci's words where lspci has them.</summary>
    public static string Problem(CapabilityChainProblem problem) => problem switch
    {
        CapabilityChainProblem.Looped => "chain looped",
        CapabilityChainProblem.BrokenId => "chain broken",
        CapabilityChainProblem.PointerOutOfRange => "pointer out of range",
        CapabilityChainProblem.NotCaptured => "not captured",
        _ => "",
    };
}
