using System.Buffers.Binary;
using System.Numerics;

namespace Preconfig.Handoff.Blob;

/// <summary>CRC-32C (Castagnoli), as iSCSI and ext4 use it: hardware instructions via <see cref="BitOperations.Crc32C(uint, ulong)"/>.</summary>
public static class Crc32C
{
    public const uint Initial = 0xffffffff;

    /// <summary>Continues a running CRC (start from <see cref="Initial"/>; finish with <see cref="Finish"/>).</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        while (data.Length >= 8)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }
        foreach (byte b in data) crc = BitOperations.Crc32C(crc, b);
        return crc;
    }

    public static uint Finish(uint crc) => ~crc;

    public static uint Compute(ReadOnlySpan<byte> data) => Finish(Append(Initial, data));
}
