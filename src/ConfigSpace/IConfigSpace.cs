using System.Buffers.Binary;

namespace Preconfig.ConfigSpace;

/// <summary>
/// One function's configuration space. Backends: sysfs (a real or temp tree), the simulator, and read-only dumps.
/// Offsets are absolute; multi-byte values are little-endian as on the bus. Accessors throw
/// <see cref="ConfigSpaceAccessException"/> (or <see cref="DeviceRemovedException"/>) on I/O failure.
/// </summary>
public interface IConfigSpace
{
    PciAddress Address { get; }

    /// <summary>Bytes that can be read: 64, 256 or 4096.</summary>
    int Length { get; }

    /// <summary>Reads <paramref name="buffer"/>.Length bytes at <paramref name="offset"/>.</summary>
    void Read(int offset, Span<byte> buffer);

    /// <summary>Writes the bytes at <paramref name="offset"/> in one access of their width (1, 2 or 4 bytes).</summary>
    void Write(int offset, ReadOnlySpan<byte> value);
}

/// <summary>Width-typed accessors over any backend.</summary>
public static class ConfigSpaceExtensions
{
    public static byte ReadByte(this IConfigSpace space, int offset)
    {
        Span<byte> b = stackalloc byte[1];
        space.Read(offset, b);
        return b[0];
    }

    public static ushort ReadWord(this IConfigSpace space, int offset)
    {
        Span<byte> b = stackalloc byte[2];
        space.Read(offset, b);
        return BinaryPrimitives.ReadUInt16LittleEndian(b);
    }

    public static uint ReadDword(this IConfigSpace space, int offset)
    {
        Span<byte> b = stackalloc byte[4];
        space.Read(offset, b);
        return BinaryPrimitives.ReadUInt32LittleEndian(b);
    }

    public static void WriteByte(this IConfigSpace space, int offset, byte value) =>
        space.Write(offset, [value]);

    public static void WriteWord(this IConfigSpace space, int offset, ushort value)
    {
        Span<byte> b = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(b, value);
        space.Write(offset, b);
    }

    public static void WriteDword(this IConfigSpace space, int offset, uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        space.Write(offset, b);
    }

    /// <summary>Reads the whole space (Length bytes).</summary>
    public static byte[] ReadAll(this IConfigSpace space)
    {
        var bytes = new byte[space.Length];
        space.Read(0, bytes);
        return bytes;
    }
}

/// <summary>A config-space access failed (EIO, EPERM under lockdown, a short read...). Names the device.</summary>
public class ConfigSpaceAccessException : IOException
{
    public PciAddress Address { get; }
    public int Offset { get; }

    public ConfigSpaceAccessException(PciAddress address, int offset, string message, Exception? inner = null)
        : base($"{address}: {message} (config offset 0x{offset:x})", inner)
    {
        Address = address;
        Offset = offset;
    }
}

/// <summary>The function no longer answers: it reads all ones, or its sysfs node is gone.</summary>
public sealed class DeviceRemovedException : ConfigSpaceAccessException
{
    public DeviceRemovedException(PciAddress address, int offset, string message, Exception? inner = null)
        : base(address, offset, message, inner) { }
}
