using Preconfig.ConfigSpace.Registers;

namespace Preconfig.ConfigSpace.Specification;

/// <summary>
/// The specifications the table cites, and helpers to write its entries. A citation names the document and the
/// section that defines the register ("PCIe 4.0 §7.5.3.7"); where two define it, both are given.
/// </summary>
internal static class Cite
{
    public static string Pci(string section) => $"PCI Local Bus 3.0 §{section}";
    public static string Bridge(string section) => $"PCI-to-PCI Bridge 1.2 §{section}";
    public static string Pm(string section) => $"PCI PM 1.2 §{section}";
    public static string Pcie(string section) => $"PCIe 4.0 §{section}";
    public static string Pcie5(string section) => $"PCIe 5.0 §{section}";
    public static string Pcie6(string section) => $"PCIe 6.0 §{section}";
    public static string CardBus => "PC Card Standard 8.0 (CardBus bridge register set, header type 02h); layout as pciutils' header.h PCI_CB_*";

    public static FieldSpec F(int low, int width, string name, BitAttribute attribute, string citation) => new(low, width, name, attribute, citation);

    public static RegisterSpec R(int offset, int width, string name, string citation, params FieldSpec[] fields) => new(offset, width, name, citation, fields);

    /// <summary>A register whose every bit has one attribute (identity, capability registers, logs).</summary>
    public static RegisterSpec Whole(int offset, int width, string name, BitAttribute attribute, string citation) =>
        new(offset, width, name, citation, [new FieldSpec(0, 8 * width, name, attribute, citation)]);
}

/// <summary>The conditions the specification puts on bits, named as it names them.</summary>
internal static class When
{
    private static Condition Port(string text, params PciExpressPortType[] types) =>
        new(text, c => c.Function.PortType is { } t && types.Contains(t));

    public static readonly Condition Express = new("PCI Express function", c => c.Function.IsExpress);
    public static readonly Condition Conventional = !Express;

    /// <summary>A PCI Express port whose secondary side is PCI Express (the Type 1 rules of PCIe §7.5.1.3).</summary>
    public static readonly Condition ExpressPort = Port("PCI Express Root Port or Switch Port",
        PciExpressPortType.RootPort, PciExpressPortType.Upstream, PciExpressPortType.Downstream, PciExpressPortType.PcieBridge);

    public static readonly Condition RootPort = Port("Root Port", PciExpressPortType.RootPort);
    public static readonly Condition RootPortOrRcec = Port("Root Port or Root Complex Event Collector",
        PciExpressPortType.RootPort, PciExpressPortType.RootComplexEventCollector);
    public static readonly Condition SwitchPort = Port("Switch Upstream or Downstream Port", PciExpressPortType.Upstream, PciExpressPortType.Downstream);
    public static readonly Condition RootOrSwitchPort = RootPort | SwitchPort;
    public static readonly Condition PcieToPciBridge = Port("PCI Express to PCI/PCI-X Bridge", PciExpressPortType.PciBridge);

    /// <summary>Downstream Ports: Root Ports, Switch Downstream Ports, PCI/PCI-X to PCI Express Bridges.</summary>
    public static readonly Condition DownstreamPort = Port("Downstream Port",
        PciExpressPortType.RootPort, PciExpressPortType.Downstream, PciExpressPortType.PcieBridge);

    public static readonly Condition EndpointType = Port("Endpoint (incl. Legacy and Root Complex Integrated)",
        PciExpressPortType.Endpoint, PciExpressPortType.LegacyEndpoint, PciExpressPortType.RootIntegratedEndpoint);

    /// <summary>No Link (the link registers are reserved): Root Complex Integrated Endpoints and Event Collectors.</summary>
    public static readonly Condition NoLink = Port("Root Complex Integrated Endpoint or Event Collector (no Link)",
        PciExpressPortType.RootIntegratedEndpoint, PciExpressPortType.RootComplexEventCollector);

    /// <summary>
    /// A function other than 0 of a multi-function device on an Upstream Port: for Link-wide controls (LTR Enable, the
    /// LnkCtl2 fields) only Function 0's register acts; the others are RsvdP (PCIe §7.5.3.16, §7.5.3.19).
    /// </summary>
    public static readonly Condition NonZeroFunctionOfUpstreamDevice = new(
        "a function other than 0 of a multi-function device on an Upstream Port",
        c => c.Function.MultiFunction && c.Function.Address is { } a && (a.DevFn & 7) != 0 && !DownstreamPort.Holds(c));

    public static readonly Condition Slot = new("Slot Implemented (PCIe Capabilities bit 8)", c => (c.Function.Express(PciExpress.Flags, 2) & PciExpress.FlagsSlot) != 0);
    public static readonly Condition Version2 = new("PCI Express capability version 2 or later", c => c.Function.ExpressVersion >= 2);

    /// <summary>A bit of a PCI Express capability register (DevCap, LnkCap, SltCap ...).</summary>
    public static Condition ExpressBit(int register, uint mask, string text) => new(text, c => (c.Function.Express(register) & mask) != 0);

    /// <summary>A bit of the structure's own capability register.</summary>
    public static Condition OwnBit(int register, uint mask, string text, int width = 4) => new(text, c => (c.Own(register, width) & mask) != 0);

    public static readonly Condition Type0 = new("header type 0", c => c.Function.Header == HeaderType.Normal);
}
