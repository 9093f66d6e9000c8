using Preconfig.ConfigSpace;

namespace Preconfig.Preinit.Planning.Function;

/// <summary>
/// What one function's config space will hold at a point of the plan: the bytes as read now with every step
/// before it applied. A 256-byte block is copied the first time a step changes it: most functions change the
/// header and a capability or two, and cloning each 4 KiB space was a third of what planning allocated.
/// </summary>
internal sealed class Projection(byte[] present)
{
    private const int BlockSize = 256;
    private readonly byte[]?[] _blocks = new byte[]?[(present.Length + BlockSize - 1) / BlockSize];

    public int Length => present.Length;

    /// <summary>1, 2 or 4 (any other width) bytes, little-endian; all ones past the end, as <see cref="ConfigBytes"/>.</summary>
    public uint Read(int offset, int width)
    {
        width = width is 1 or 2 ? width : 4;
        if (offset < 0 || offset + width > present.Length) return width == 1 ? 0xffu : width == 2 ? 0xffffu : 0xffffffffu;
        int block = offset / BlockSize;
        if (block == (offset + width - 1) / BlockSize)
            return _blocks[block] is { } copied ? Register(copied, offset % BlockSize, width) : Register(present, offset, width);
        // Across two blocks (no register is, being aligned): byte by byte.
        uint value = 0;
        for (int i = width - 1; i >= 0; i--) value = value << 8 | Byte(offset + i);
        return value;
    }

    public void Store(int offset, int width, uint value)
    {
        for (int i = 0; i < width; i++)
        {
            int at = offset + i, block = at / BlockSize;
            var bytes = _blocks[block] ??= present.AsSpan(block * BlockSize, Math.Min(BlockSize, present.Length - block * BlockSize)).ToArray();
            bytes[at % BlockSize] = (byte)(value >> (8 * i));
        }
    }

    private static uint Register(byte[] bytes, int offset, int width) =>
        width == 1 ? ConfigBytes.U8(bytes, offset) : width == 2 ? ConfigBytes.U16(bytes, offset) : ConfigBytes.U32(bytes, offset);

    private byte Byte(int at) => _blocks[at / BlockSize] is { } block ? block[at % BlockSize] : present[at];
}
