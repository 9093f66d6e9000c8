using System.Buffers.Binary;
using Preconfig.ConfigSpace.Registers;

namespace Preconfig.ConfigSpace;

/// <summary>
/// Decoding helpers over captured config bytes (a snapshot, a dump). Reads past the captured length return
/// all ones, as real hardware returns for an unimplemented or inaccessible register.
/// </summary>
public static class ConfigBytes
{
    public static byte U8(ReadOnlySpan<byte> cfg, int offset) => offset >= 0 && offset < cfg.Length ? cfg[offset] : (byte)0xff;

    public static ushort U16(ReadOnlySpan<byte> cfg, int offset) =>
        offset >= 0 && offset + 2 <= cfg.Length ? BinaryPrimitives.ReadUInt16LittleEndian(cfg[offset..]) : (ushort)0xffff;

    public static uint U32(ReadOnlySpan<byte> cfg, int offset) =>
        offset >= 0 && offset + 4 <= cfg.Length ? BinaryPrimitives.ReadUInt32LittleEndian(cfg[offset..]) : 0xffffffffu;

    public static ushort VendorId(ReadOnlySpan<byte> cfg) => U16(cfg, Header.VendorId);
    public static ushort DeviceId(ReadOnlySpan<byte> cfg) => U16(cfg, Header.DeviceId);
    public static byte Revision(ReadOnlySpan<byte> cfg) => U8(cfg, Header.RevisionId);
    /// <summary>The 24-bit class code (base class, subclass, programming interface).</summary>
    public static uint ClassCode(ReadOnlySpan<byte> cfg) => U32(cfg, Header.ClassRevision) >> 8;
    public static HeaderType HeaderKind(ReadOnlySpan<byte> cfg) => (HeaderType)(U8(cfg, Header.HeaderType) & Header.HeaderTypeMask);

    public static ushort SubsystemVendorId(ReadOnlySpan<byte> cfg) => HeaderKind(cfg) switch
    {
        HeaderType.Normal => U16(cfg, Type0.SubsystemVendorId),
        HeaderType.CardBus => U16(cfg, Type2.SubsystemVendorId),
        _ => 0,
    };

    public static ushort SubsystemId(ReadOnlySpan<byte> cfg) => HeaderKind(cfg) switch
    {
        HeaderType.Normal => U16(cfg, Type0.SubsystemId),
        HeaderType.CardBus => U16(cfg, Type2.SubsystemId),
        _ => 0,
    };
}
