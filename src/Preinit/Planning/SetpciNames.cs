using Preconfig.ConfigSpace.Registers;

namespace Preconfig.Preinit.Planning;

/// <summary>
/// Register names as the real setpci takes them for a given header type. setpci (pciutils 3.9, setpci.c
/// <c>pci_reg_names</c>) gives each header register the header types it exists on and refuses the name elsewhere
/// ("Does not have register INTERRUPT_LINE" on a CardBus bridge); its capability names are found by libpci's walk,
/// which starts at 0x34 whatever the header type, while a CardBus bridge's list starts at 0x14. Where setpci would
/// refuse a name or resolve it to another register, the step is named by its offset (<c>3c.b</c>, <c>80.w</c>).
/// </summary>
public static class SetpciNames
{
    // Header types a name exists on: bit 0 = type 0 (endpoint), bit 1 = type 1 (bridge), bit 2 = type 2 (CardBus).
    private const int Any = 0x7, Endpoint = 0x1, Bridge = 0x2, EndpointOrBridge = 0x3;

    private static readonly Dictionary<string, int> HeaderNames = new(StringComparer.Ordinal)
    {
        ["COMMAND"] = Any, ["STATUS"] = Any, ["CACHE_LINE_SIZE"] = Any, ["LATENCY_TIMER"] = Any, ["BIST"] = Any,
        ["BASE_ADDRESS_0"] = EndpointOrBridge, ["BASE_ADDRESS_1"] = EndpointOrBridge,
        ["BASE_ADDRESS_2"] = Endpoint, ["BASE_ADDRESS_3"] = Endpoint, ["BASE_ADDRESS_4"] = Endpoint, ["BASE_ADDRESS_5"] = Endpoint,
        ["ROM_ADDRESS"] = Endpoint, ["INTERRUPT_LINE"] = EndpointOrBridge,
        ["PRIMARY_BUS"] = Bridge, ["SECONDARY_BUS"] = Bridge, ["SUBORDINATE_BUS"] = Bridge, ["SEC_LATENCY_TIMER"] = Bridge,
        ["IO_BASE"] = Bridge, ["IO_LIMIT"] = Bridge, ["SEC_STATUS"] = Bridge, ["MEMORY_BASE"] = Bridge, ["MEMORY_LIMIT"] = Bridge,
        ["PREF_MEMORY_BASE"] = Bridge, ["PREF_MEMORY_LIMIT"] = Bridge, ["PREF_BASE_UPPER32"] = Bridge, ["PREF_LIMIT_UPPER32"] = Bridge,
        ["IO_BASE_UPPER16"] = Bridge, ["IO_LIMIT_UPPER16"] = Bridge, ["BRIDGE_ROM_ADDRESS"] = Bridge, ["BRIDGE_CONTROL"] = Bridge,
    };

    /// <summary>The name setpci resolves to <paramref name="offset"/> on this header type, else the offset form.</summary>
    public static string For(string name, int offset, int width, HeaderType type)
    {
        int bit = type switch { HeaderType.Normal => Endpoint, HeaderType.Bridge => Bridge, HeaderType.CardBus => 0x4, _ => 0 };
        bool capability = name.StartsWith("CAP_", StringComparison.Ordinal) || name.StartsWith("ECAP_", StringComparison.Ordinal);
        bool accepted = capability ? type != HeaderType.CardBus
            : HeaderNames.TryGetValue(name, out int types) ? (types & bit) != 0
            : true; // already an offset
        return accepted ? name : Offset(offset, width);
    }

    /// <summary><c>3c.b</c>, <c>80.w</c>, <c>104.l</c>: setpci's register-by-offset form.</summary>
    public static string Offset(int offset, int width) => $"{offset:x}.{width switch { 1 => 'b', 2 => 'w', _ => 'l' }}";
}
