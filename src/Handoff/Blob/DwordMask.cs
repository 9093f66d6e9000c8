using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Preconfig.Handoff.Blob;

/// <summary>
/// How a config is stored in a version 2 body: every dword either equals the function's fill dword (all bytes 0x00,
/// or all 0xff) and is left out, or is stored; a mask of one bit per dword says which (bit <c>k % 8</c> of byte
/// <c>k / 8</c> for dword <c>k</c>, least significant first). Config space is mostly zero dwords between registers,
/// so the stored dwords are about a fifth of a 4 KiB space, and they stay dword-aligned for the compressor. The mask
/// is <c>length / 32</c> bytes: 2, 8 or 128 for a config of 64, 256 or 4096 bytes, so it also says the length.
/// Eight dwords (one mask byte) are compared at a time.
/// </summary>
internal static class DwordMask
{
    /// <summary>Bytes of config one mask byte covers.</summary>
    public const int BytesPerMaskByte = 32;

    public static int MaskLength(int configLength) => configLength / BytesPerMaskByte;

    /// <summary>
    /// Fills <paramref name="mask"/> (<see cref="MaskLength"/> bytes) for <paramref name="config"/> with the fill that
    /// leaves out more dwords (0x00, unless more dwords are all 0xff); returns how many dwords are stored.
    /// </summary>
    public static int Build(ReadOnlySpan<byte> config, Span<byte> mask, out byte fill)
    {
        int chunks = MaskLength(config.Length);
        Span<byte> ones = stackalloc byte[chunks];
        ref byte src = ref MemoryMarshal.GetReference(config);
        int zeroCount = 0, onesCount = 0;
        for (int c = 0; c < chunks; c++)
        {
            var lo = Vector128.LoadUnsafe(ref src, (nuint)(c * 32)).AsUInt32();
            var hi = Vector128.LoadUnsafe(ref src, (nuint)(c * 32 + 16)).AsUInt32();
            uint z = Vector128.Equals(lo, Vector128<uint>.Zero).ExtractMostSignificantBits()
                | Vector128.Equals(hi, Vector128<uint>.Zero).ExtractMostSignificantBits() << 4;
            uint o = Vector128.Equals(lo, Vector128<uint>.AllBitsSet).ExtractMostSignificantBits()
                | Vector128.Equals(hi, Vector128<uint>.AllBitsSet).ExtractMostSignificantBits() << 4;
            mask[c] = (byte)~z;
            ones[c] = (byte)~o;
            zeroCount += BitOperations.PopCount(z);
            onesCount += BitOperations.PopCount(o);
        }
        fill = 0;
        if (onesCount <= zeroCount) return config.Length / 4 - zeroCount;
        fill = 0xff;
        ones.CopyTo(mask);
        return config.Length / 4 - onesCount;
    }

    /// <summary>The stored dwords of <paramref name="config"/>, in order, into <paramref name="stored"/>; returns the bytes written.</summary>
    public static int CopyStored(ReadOnlySpan<byte> config, ReadOnlySpan<byte> mask, Span<byte> stored)
    {
        int at = 0;
        for (int c = 0; c < mask.Length; c++)
        {
            uint m = mask[c];
            if (m == 0) continue;
            if (m == 0xff)
            {
                config.Slice(c * 32, 32).CopyTo(stored[at..]);
                at += 32;
                continue;
            }
            for (; m != 0; m &= m - 1)
            {
                config.Slice(c * 32 + 4 * BitOperations.TrailingZeroCount(m), 4).CopyTo(stored[at..]);
                at += 4;
            }
        }
        return at;
    }

    /// <summary>Dwords the mask says are stored.</summary>
    public static int StoredDwords(ReadOnlySpan<byte> mask)
    {
        int n = 0;
        foreach (byte m in mask) n += BitOperations.PopCount(m);
        return n;
    }

    /// <summary>
    /// The config back from its mask, fill and stored dwords (exactly <see cref="StoredDwords"/> x 4 of them):
    /// every byte of <paramref name="config"/> is written, so it may come uninitialized.
    /// </summary>
    public static void Rebuild(ReadOnlySpan<byte> stored, ReadOnlySpan<byte> mask, byte fill, Span<byte> config)
    {
        int at = 0;
        for (int c = 0; c < mask.Length; c++)
        {
            var chunk = config.Slice(c * 32, 32);
            uint m = mask[c];
            if (m == 0xff)
            {
                stored.Slice(at, 32).CopyTo(chunk);
                at += 32;
                continue;
            }
            chunk.Fill(fill);
            for (; m != 0; m &= m - 1)
            {
                stored.Slice(at, 4).CopyTo(chunk[(4 * BitOperations.TrailingZeroCount(m))..]);
                at += 4;
            }
        }
    }
}
